#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeywardTesting
import Testing

/// A listening TCP socket on 127.0.0.1 and a free port, held until `close()`.
final class OccupiedPort {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: addr.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}

// Issue 11 bug 2: a first start that cannot listen must not create the store and print the admin key.
@Suite("Serve start-up order")
struct ServeStartupTests {
    @Test("a port in use: exit 2 naming the address, no data folder; the next start on a free port prints the admin key")
    func portInUse() async throws {
        let dir = try TempDirectory("keyward-bind")
        defer { dir.remove() }
        let data = dir.file("data")
        let occupied = try OccupiedPort()
        let refused = try await ProcessRunner.run("/usr/bin/timeout", ["60", KeywardBinary.path(), "serve", "--data-dir", data,
                                                                          "--port", String(occupied.port)],
                                                  environment: ProcessInfo.processInfo.environment.merging(["KEYWARD_RULE_CACHE_DIR": KeywardBinary.ruleCache]) { $1 })
        occupied.close()
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("127.0.0.1:\(occupied.port)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("in use"))
        #expect(!refused.stdout.contains("kw_live_"))
        #expect(!FileManager.default.fileExists(atPath: data), "nothing is created before the port is known to be free")

        let (p, _, key) = try await KeywardBinary.serve(dataDirectory: data)
        defer { p.stop() }
        #expect(key != nil, "the first successful start prints the admin key")
    }

    @Test("an existing store and a port in use: nothing in the data folder is touched")
    func existingStoreUntouched() async throws {
        let dir = try TempDirectory("keyward-bind")
        defer { dir.remove() }
        let data = dir.file("data")
        let (first, _, key) = try await KeywardBinary.serve(dataDirectory: data)
        #expect(key != nil)
        #expect(first.stop(SIGTERM) == 0)
        let before = try Self.snapshot(data)
        let occupied = try OccupiedPort()
        defer { occupied.close() }
        let refused = try await ProcessRunner.run("/usr/bin/timeout", ["60", KeywardBinary.path(), "serve", "--data-dir", data,
                                                                          "--port", String(occupied.port)])
        #expect(refused.status == 2)
        #expect(try Self.snapshot(data) == before)
    }

    /// Name, size and modification time of every file in `folder`.
    static func snapshot(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { name in
            let a = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
            return "\(name) \(a[.size] ?? 0) \((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
    }
}
