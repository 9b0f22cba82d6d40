import Foundation
import KeywardCore
import KeywardScanner
import KeywardTesting
import Testing

/// Archives expanded in memory by the scan pipeline (issue 16): found by their first bytes,
/// nested up to a depth, bounded, and damage reported as warnings.
@Suite("Archives in scans")
struct ArchiveScanTests {
    static let key = try! ScannerKey(bytes: Array(repeating: 7, count: 32))

    static func secret() -> String { APIKeyFormat.generate(environment: .live).reveal() }

    /// Walks `dir` and scans it as `keyward scan` does.
    static func scan(_ dir: TempDirectory, options: ArchiveOptions? = ArchiveOptions()) async throws -> (findings: [KeywardScanner.Finding], stats: ScanStats, warnings: [String]) {
        let scanner = await RuleExamplesTests.built()
        var walker = FileWalker()
        walker.detectImageLayouts = options != nil
        let entries = try walker.walk([dir.path])
        let runner = ScanRunner(blobScanner: BlobScanner(scanner: scanner, key: key), threads: 2, archives: options)
        return try await onOwnThread { try runner.run(jobs: entries.map { .file($0) }) }
    }

    static func relative(_ f: KeywardScanner.Finding, _ dir: TempDirectory) -> String { String(f.path.dropFirst(dir.path.count + 1)) }

    static func fingerprint(_ secret: String) -> String { key.fingerprint(Array(secret.utf8)) }

    @Test("magic bytes, not names, say what an archive is")
    func detect() throws {
        let dir = try TempDirectory("keyward-archive-magic")
        defer { dir.remove() }
        let text = ArchiveFixtures.Node.text("hello\n")
        let cases: [(ArchiveFixtures.Node, ArchiveFormat)] = [(.zip([("a", text)]), .zip), (.tar([("a", text)]), .tar), (.gzip(text), .gzip),
                                                              (.tar([("a", text)], compression: "bz2"), .bzip2), (.tar([("a", text)], compression: "xz"), .xz)]
        for (i, (node, format)) in cases.enumerated() {
            try ArchiveFixtures.write(node, to: dir.file("f\(i)"))
            let head = Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("f\(i)"))).prefix(8192))
            #expect(ArchiveFormat.detect(head) == format, "\(format)")
        }
        for text in ["PK but not a zip\n", "BZh9 is prose", "", String(repeating: "a", count: 600)] {
            #expect(ArchiveFormat.detect(Array(text.utf8)) == nil, "\(text.prefix(10))")
        }
    }

    @Test("a secret in a zip, a jar in a zip, a tar.gz and a gzip'd log is found with the chain of paths and its line in the entry")
    func nested() async throws {
        let dir = try TempDirectory("keyward-archive-nested")
        defer { dir.remove() }
        let s1 = Self.secret(), s2 = Self.secret(), s3 = Self.secret(), s4 = Self.secret()
        try ArchiveFixtures.write(.zip([("docs/readme.txt", .text("nothing\n")), ("conf/.env", .text("A=1\nKEYWARD_KEY=\(s1)\n"))]), to: dir.file("plain.zip"))
        try ArchiveFixtures.write(.zip([("lib/inner.jar", .zip([("config/app.properties", .text("# app\nname=x\napi.key=\(s2)\n")),
                                                                ("Main.class", .bytes([0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 61]))]))]),
                                  to: dir.file("outer.zip"))
        try ArchiveFixtures.write(.tar([("srv/app/settings.yml", .text("token: \(s3)\n"))], compression: "gz"), to: dir.file("release.tgz"))
        try ArchiveFixtures.write(.gzip(.text("boot\nready\nlogin with \(s4)\n")), to: dir.file("logs/app.log.gz"))
        // Named like text: found by content all the same.
        try ArchiveFixtures.write(.zip([("k.txt", .text("key \(s1)\n"))]), to: dir.file("notes.txt"))
        let r = try await Self.scan(dir)
        let got = Set(r.findings.map { "\(Self.relative($0, dir)):\($0.line) \($0.fingerprint)" })
        #expect(got == ["plain.zip!conf/.env:2 \(Self.fingerprint(s1))",
                        "outer.zip!lib/inner.jar!config/app.properties:3 \(Self.fingerprint(s2))",
                        "release.tgz!srv/app/settings.yml:1 \(Self.fingerprint(s3))",
                        "logs/app.log.gz!app.log:3 \(Self.fingerprint(s4))",
                        "notes.txt!k.txt:1 \(Self.fingerprint(s1))"], "\(got)")
        #expect(r.warnings.isEmpty, "\(r.warnings)")
        #expect(r.stats.skippedBinary == 1) // Main.class
    }

    @Test("without archive options an archive is one binary file")
    func off() async throws {
        let dir = try TempDirectory("keyward-archive-off")
        defer { dir.remove() }
        try ArchiveFixtures.write(.zip([("conf/.env", .text("KEYWARD_KEY=\(Self.secret())\n"))]), to: dir.file("plain.zip"))
        let r = try await Self.scan(dir, options: nil)
        #expect(r.findings.isEmpty)
        #expect(r.stats.skippedBinary == 1)
    }

    @Test("archives nested deeper than the depth are not expanded, with a warning; a deeper setting reaches them")
    func depth() async throws {
        let dir = try TempDirectory("keyward-archive-depth")
        defer { dir.remove() }
        let s = Self.secret()
        var node = ArchiveFixtures.Node.zip([("deep.env", .text("KEY=\(s)\n"))])
        for level in (1...3).reversed() { node = .zip([("level\(level).zip", node)]) }
        try ArchiveFixtures.write(node, to: dir.file("nest.zip"))
        let shallow = try await Self.scan(dir)
        #expect(shallow.findings.isEmpty)
        #expect(shallow.warnings.count == 1)
        #expect(shallow.warnings.first?.hasSuffix("nest.zip!level1.zip!level2.zip!level3.zip: an archive nested more than 3 deep; not expanded (--archive-depth)") == true,
                "\(shallow.warnings)")
        let deep = try await Self.scan(dir, options: ArchiveOptions(maxDepth: 4))
        #expect(deep.findings.map { Self.relative($0, dir) } == ["nest.zip!level1.zip!level2.zip!level3.zip!deep.env"])
        #expect(deep.warnings.isEmpty)
    }

    @Test("a zip bomb stops at the ratio guard with a warning; the entry cap and the total cap stop big entries")
    func bomb() async throws {
        let dir = try TempDirectory("keyward-archive-bomb")
        defer { dir.remove() }
        try ArchiveFixtures.zipBomb(to: dir.file("bomb.zip"), megabytes: 200)
        let r = try await Self.scan(dir)
        #expect(r.warnings.count == 1)
        #expect(r.warnings.first?.contains("bomb.zip: expands more than 100 times its size (a likely archive bomb)") == true, "\(r.warnings)")
        // Stopped near 100 times the archive's size (a few hundred KiB), well before its 200 MiB.
        #expect(r.stats.bytes < 100 << 20, "\(r.stats.bytes)")

        var capped = ArchiveOptions()
        capped.maxRatio = 10_000
        capped.maxEntryBytes = 1 << 20
        let entry = try await Self.scan(dir, options: capped)
        #expect(entry.warnings.first?.hasSuffix("bomb.zip!payload.txt: larger than 1 MiB; only its start was scanned") == true, "\(entry.warnings)")
        capped.maxTotalBytes = 4 << 20
        capped.maxEntryBytes = 256 << 20
        let total = try await Self.scan(dir, options: capped)
        #expect(total.warnings.first?.hasSuffix("bomb.zip: expands past 4 MiB; the rest of the archive is skipped") == true, "\(total.warnings)")
    }

    @Test("a truncated, a corrupt and an encrypted-looking archive warn and the rest of the scan goes on")
    func damaged() async throws {
        let dir = try TempDirectory("keyward-archive-damaged")
        defer { dir.remove() }
        let s = Self.secret(), inside = Self.secret()
        // Incompressible, so the cut falls inside it, blocks after a.txt.
        let filler = (0..<100_000).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined(separator: " ")
        try ArchiveFixtures.write(.tar([("a.txt", .text("first \(inside)\n")), ("b.txt", .text(filler))],
                                       compression: "gz"), to: dir.file("whole.tgz"))
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir.file("whole.tgz")))
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: dir.file("cut.tgz")))
        try FileManager.default.removeItem(atPath: dir.file("whole.tgz"))
        var garbage = Array("PK\u{3}\u{4}".utf8)
        garbage += (0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        try Data(garbage).write(to: URL(fileURLWithPath: dir.file("garbage.zip")))
        try ArchiveTestFiles.write(dir.file("src/.env"), "KEYWARD_KEY=\(s)\n")
        let r = try await Self.scan(dir)
        let paths = Set(r.findings.map { Self.relative($0, dir) })
        #expect(paths.contains("src/.env"))
        // The entry before the damage is still found.
        #expect(paths.contains("cut.tgz!a.txt"), "\(paths)")
        #expect(r.warnings.contains { $0.contains("cut.tgz") && ($0.contains("truncated") || $0.contains("corrupt")) }, "\(r.warnings)")
        #expect(r.warnings.contains { $0.contains("garbage.zip") }, "\(r.warnings)")
        #expect(!r.warnings.joined().contains(s) && !r.warnings.joined().contains(inside))
    }

    @Test("a git blob that is an archive is expanded, its findings keep the blob's commit")
    func blob() async throws {
        let dir = try TempDirectory("keyward-archive-blob")
        defer { dir.remove() }
        let s = Self.secret()
        try ArchiveFixtures.write(.zip([("app/.env", .text("KEY=\(s)\n"))]), to: dir.file("b.zip"))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("b.zip"))))
        let scanner = await RuleExamplesTests.built()
        let runner = ScanRunner(blobScanner: BlobScanner(scanner: scanner, key: Self.key), threads: 1)
        let r = try await onOwnThread {
            try runner.run { $0.submit(.blob(BlobOrigin(path: "dist/b.zip", commit: "c0ffee", author: "dev", date: "2026-12-01"), bytes)) }
        }
        #expect(r.findings.map(\.path) == ["dist/b.zip!app/.env"])
        #expect(r.findings.first?.commit == "c0ffee")
    }

    @Test("names of archived compressed streams and image entries")
    func names() {
        #expect(ArchiveScan.innerName(of: "logs/app.log.gz") == "app.log")
        #expect(ArchiveScan.innerName(of: "a.zip!x/rel.tgz") == "rel.tar")
        #expect(ArchiveScan.innerName(of: "blob") == "data")
        #expect(ContainerImage.isImageEntry("manifest.json") && ContainerImage.isImageEntry("blobs/sha256/" + String(repeating: "a", count: 64)))
        #expect(ContainerImage.isImageEntry(String(repeating: "b", count: 64) + "/layer.tar"))
        #expect(!ContainerImage.isImageEntry("src/main.go") && !ContainerImage.isImageEntry("blobs/sha256/x/y"))
        #expect(ContainerImage.blobName("sha256:abc") == "blobs/sha256/abc" && ContainerImage.blobName("sha256:../x") == nil)
    }
}

/// The one file helper the archive suites share.
enum ArchiveTestFiles {
    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
