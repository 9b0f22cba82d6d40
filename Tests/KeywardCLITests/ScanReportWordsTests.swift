import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `scan --report-to` says what the server answered: never "live" for a credential the server
/// classified otherwise.
@Suite("keyward scan --report-to wording", .serialized)
struct ScanReportWordsTests {
    @Test("a leaked key that was already revoked is reported as already revoked, not as a live credential")
    func revokedIsNotLive() async throws {
        let dir = try TempDirectory("keyward-report-words")
        defer { dir.remove() }
        let (server, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        defer { server.stop() }
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin)]
        func json(_ args: String...) async throws -> [String: Any] {
            let r = try await KeywardBinary.run(args + ["--json"], env: env)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        }
        let system = "idn_00000000000000000000000000000000"
        let reporter = try #require(try await json("keys", "create", "--identity", system, "--scope", "keyward:report", "--ttl", "1d")["key"] as? String)
        let leaked = try await json("keys", "create", "--identity", system, "--scope", "keyward:report", "--ttl", "1d")
        let leakedKey = try #require(leaked["key"] as? String), leakedID = try #require(leaked["id"] as? String)
        _ = try await json("keys", "revoke", leakedID, "--reason", "rotated out")
        try ScanCLITests.write(dir.file("repo/app.env"), "KEYWARD_KEY=\(leakedKey)\n")
        let r = try await KeywardBinary.run(["scan", "--cache-dir", ScanCLITests.cache, dir.file("repo"), "--report-to", url],
                                            env: ScanCLITests.env(dir).merging(["KEYWARD_TOKEN": reporter]) { $1 })
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("an already revoked credential was matched"), "\(r.stderr)")
        #expect(!r.stderr.contains("live credential"))
        #expect(!r.stderr.contains(leakedKey))
    }
}
