import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// case 63 of docs/security-cases.md: bounded time and memory on hostile inputs, exit 0/1/2 as specified.
@Suite("keyward scan on hard inputs", .serialized)
struct ScanHardInputTests {
    /// Writes `size` bytes of ordinary text lines, with `secretLine` once near the end.
    static func bigFile(_ path: String, size: Int, secretLine: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        let line = Array("2026-11-25T03:14:15Z INFO request path=/v1/items/42 status=200 ms=3 trace=4bf92f3577b34da6a3ce929d0e0e4736\n".utf8)
        var block = [UInt8]()
        while block.count < (1 << 20) { block += line }
        var written = 0
        while written < size - (1 << 21) {
            written += block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
        _ = Array(secretLine.utf8 + [0x0A]).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    @Test("a 1 GiB file is scanned in bounded memory and its one secret found")
    func oneGiB() async throws {
        let dir = try TempDirectory("keyward-big")
        defer { dir.remove() }
        let kw = ScanCLITests.keywardKey()
        try Self.bigFile(dir.file("huge.log"), size: 1 << 30, secretLine: "auth key=\(kw)")
        // Warm this test's own compiled-rules cache first: compiling is a one-off cost, not per input.
        let cache = dir.file("rule-cache")
        let scan = { (args: [String]) in
            try await KeywardBinary.runMeasuringPeakRSS(["scan", "--cache-dir", cache] + args, env: ScanCLITests.env(dir))
        }
        try ScanCLITests.write(dir.file("small/a.txt"), "x\n")
        _ = try await scan([dir.file("small")])
        let small = try await scan([dir.file("small")])
        let r = try await scan([dir.file("huge.log"), "--format", "json"])
        #expect(r.status == 1, "\(r.stderr)")
        let f = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? []
        #expect(f.count == 1)
        #expect((f.first?["line"] as? Int ?? 0) > 1_000_000)
        // One 8 MiB window per worker plus the engine, never the file: the 1 GiB input costs
        // little more than scanning a 2-byte file.
        #expect(r.maxRSSKiB - small.maxRSSKiB < 96 * 1024, "peak RSS \(r.maxRSSKiB) KiB vs \(small.maxRSSKiB) KiB for a tiny file")
        // Absolute bound with room for a one-off rule compile (about 310 MiB peak) if the warm
        // cache was not usable; the line above is the check that memory does not grow with input.
        #expect(r.maxRSSKiB < 512 * 1024, "peak RSS \(r.maxRSSKiB) KiB")
    }

    @Test("a 10 MB single line and a line built for regex backtracking finish; secrets in them are found")
    func longLines() async throws {
        let dir = try TempDirectory("keyward-lines")
        defer { dir.remove() }
        let gh = ScanCLITests.githubToken()
        var oneLine = String(repeating: "a=b;", count: 2_500_000)
        oneLine += "token=\(gh);"
        try ScanCLITests.write(dir.file("one-line.txt"), oneLine)
        // Many near-matches of assignment and URI patterns with no end, to provoke backtracking.
        let evil = String(repeating: "password=\"", count: 50_000) + String(repeating: "postgres://u:", count: 50_000)
            + String(repeating: "-----BEGIN RSA PRIVATE KEY-----\nAAAA", count: 2_000) + String(repeating: "x", count: 1_000_000)
        try ScanCLITests.write(dir.file("evil.txt"), evil)
        let start = Date()
        let r = try await ScanCLITests.scan([dir.path, "--format", "json"], in: dir)
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 1, "\(r.stderr.suffix(300))")
        #expect(r.stdout.contains("one-line.txt"))
        #expect(elapsed < 120, "took \(elapsed)s")
    }
}
