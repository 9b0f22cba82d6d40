import Foundation
import KeywardTesting
import Testing

/// SECURITY-CASES 75 through the binary: `keyward audit verify` on a real SQLite file edited with sqlite3.
@Suite("keyward audit verify on a tampered store", .serialized)
struct AuditVerifyCLITests {
    /// A stopped server's data folder with a chain of audit records and a saved checkpoint.
    static func prepare() async throws -> (TempDirectory, String) {
        let dir = try TempDirectory("keyward-audit")
        let data = dir.file("data")
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: data)
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(key)]
        for i in 0..<4 {
            #expect(try KeywardBinary.run(["identities", "create", "--name", "svc\(i)", "--kind", "workload", "--environment", "prod",
                                           "--technical-owner", "ops", "--purpose", "p", "--allowed-scope", "a:read"], env: env).status == 0)
        }
        let cp = dir.file("checkpoint.json")
        #expect(try KeywardBinary.run(["audit", "checkpoint", "--output", cp], env: env).status == 0)
        #expect(p.stop() == 0)
        return (dir, cp)
    }

    func copy(_ dir: TempDirectory, _ name: String) throws -> String {
        let to = dir.file(name)
        try FileManager.default.copyItem(atPath: dir.file("data"), toPath: to)
        return to
    }

    func sql(_ dataDir: String, _ statement: String) throws {
        let r = try ProcessRunner.run("/usr/bin/sqlite3", [dataDir + "/keyward.sqlite", statement])
        #expect(r.status == 0, "\(r.stderr)")
    }

    func verify(_ dataDir: String, checkpoint: String? = nil) throws -> ProcessResult {
        try KeywardBinary.run(["audit", "verify", "--data-dir", dataDir] + (checkpoint.map { ["--checkpoint", $0] } ?? []))
    }

    @Test("intact: exit 0, also against the saved checkpoint")
    func intact() async throws {
        let (dir, cp) = try await Self.prepare()
        defer { dir.remove() }
        let r = try verify(dir.file("data"), checkpoint: cp)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("contains checkpoint"))
    }

    @Test("an edited, deleted or reordered record: exit 1 naming the first bad record")
    func tampered() async throws {
        let (dir, _) = try await Self.prepare()
        defer { dir.remove() }
        let edited = try copy(dir, "edited")
        try sql(edited, "UPDATE audit_log SET details = replace(details, 'svc2', 'evil') WHERE seq = 6")
        let e = try verify(edited)
        #expect(e.status == 1)
        #expect(e.stdout.contains("record 6"))

        let deleted = try copy(dir, "deleted")
        try sql(deleted, "DELETE FROM audit_log WHERE seq = 5")
        let d = try verify(deleted)
        #expect(d.status == 1)
        #expect(d.stdout.contains("record 5"))

        let reordered = try copy(dir, "reordered")
        try sql(reordered, "UPDATE audit_log SET seq = -1 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = -1;")
        let o = try verify(reordered)
        #expect(o.status == 1)
        #expect(o.stdout.contains("record 5"))
    }

    @Test("a truncated tail or a rewritten chain: caught by the signed checkpoint")
    func truncated() async throws {
        let (dir, cp) = try await Self.prepare()
        defer { dir.remove() }
        let cut = try copy(dir, "cut")
        try sql(cut, "DELETE FROM audit_log WHERE seq >= 6; UPDATE audit_head SET seq = 5, hash = (SELECT hash FROM audit_log WHERE seq = 5)")
        #expect(try verify(cut).status == 0) // self-consistent without the checkpoint
        let r = try verify(cut, checkpoint: cp)
        #expect(r.status == 1)
        #expect(r.stdout.contains("truncated"))

        // A forged checkpoint fails its signature.
        var obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cp))) as? [String: Any])
        obj["seq"] = 2
        let forged = dir.file("forged.json")
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: forged))
        #expect(try verify(dir.file("data"), checkpoint: forged).status == 1)
        // A file that is not a checkpoint is an error, not a verdict.
        try Data("nope".utf8).write(to: URL(fileURLWithPath: forged))
        #expect(try verify(dir.file("data"), checkpoint: forged).status == 2)
    }
}
