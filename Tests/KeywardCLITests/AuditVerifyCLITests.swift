import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// case 75 of docs/security-cases.md through the binary: `keyward audit verify` on a real SQLite file edited with sqlite3.
@Suite("keyward audit verify on a tampered store", .serialized)
struct AuditVerifyCLITests {
    /// A stopped server's data folder with a chain of audit records and a saved checkpoint.
    static func prepare() async throws -> (TempDirectory, String) {
        let dir = try TempDirectory("keyward-audit")
        let data = dir.file("data")
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: data)
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(key)]
        for i in 0..<4 {
            #expect(try await KeywardBinary.run(["identities", "create", "--name", "svc\(i)", "--kind", "workload", "--environment", "prod",
                                           "--technical-owner", "ops", "--purpose", "p", "--allowed-scope", "a:read"], env: env).status == 0)
        }
        let cp = dir.file("checkpoint.json")
        #expect(try await KeywardBinary.run(["audit", "checkpoint", "--output", cp], env: env).status == 0)
        #expect(p.stop() == 0)
        return (dir, cp)
    }

    func copy(_ dir: TempDirectory, _ name: String) throws -> String {
        let to = dir.file(name)
        try FileManager.default.copyItem(atPath: dir.file("data"), toPath: to)
        return to
    }

    func sql(_ dataDir: String, _ statement: String) async throws {
        let r = try await ProcessRunner.run("/usr/bin/sqlite3", [dataDir + "/keyward.sqlite", statement])
        #expect(r.status == 0, "\(r.stderr)")
    }

    func verify(_ dataDir: String, checkpoint: String? = nil) async throws -> ProcessResult {
        try await KeywardBinary.run(["audit", "verify", "--data-dir", dataDir] + (checkpoint.map { ["--checkpoint", $0] } ?? []))
    }

    @Test("intact: exit 0, also against the saved checkpoint")
    func intact() async throws {
        let (dir, cp) = try await Self.prepare()
        defer { dir.remove() }
        let r = try await verify(dir.file("data"), checkpoint: cp)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("contains checkpoint"))
    }

    @Test("an edited, deleted or reordered record: exit 1 naming the first bad record")
    func tampered() async throws {
        let (dir, _) = try await Self.prepare()
        defer { dir.remove() }
        let edited = try copy(dir, "edited")
        try await sql(edited, "UPDATE audit_log SET details = replace(details, 'svc2', 'evil') WHERE seq = 6")
        let e = try await verify(edited)
        #expect(e.status == 1)
        #expect(e.stdout.contains("record 6"))

        let deleted = try copy(dir, "deleted")
        try await sql(deleted, "DELETE FROM audit_log WHERE seq = 5")
        let d = try await verify(deleted)
        #expect(d.status == 1)
        #expect(d.stdout.contains("record 5"))

        let reordered = try copy(dir, "reordered")
        try await sql(reordered, "UPDATE audit_log SET seq = -1 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = -1;")
        let o = try await verify(reordered)
        #expect(o.status == 1)
        #expect(o.stdout.contains("record 5"))
    }

    @Test("a truncated tail or a rewritten chain: caught by the signed checkpoint")
    func truncated() async throws {
        let (dir, cp) = try await Self.prepare()
        defer { dir.remove() }
        let cut = try copy(dir, "cut")
        try await sql(cut, "DELETE FROM audit_log WHERE seq >= 6; UPDATE audit_head SET seq = 5, hash = (SELECT hash FROM audit_log WHERE seq = 5)")
        // The chain and its head agree, but the identities created by the deleted records remain.
        let unaudited = try await verify(cut)
        #expect(unaudited.status == 1)
        #expect(unaudited.stdout.contains("no audit record creates it"), "\(unaudited.stdout)")
        let r = try await verify(cut, checkpoint: cp)
        #expect(r.status == 1)
        #expect(r.stdout.contains("truncated"))

        // A forged checkpoint fails its signature.
        var obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cp))) as? [String: Any])
        obj["seq"] = 2
        let forged = dir.file("forged.json")
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: forged))
        #expect(try await verify(dir.file("data"), checkpoint: forged).status == 1)
        // A file that is not a checkpoint is an error, not a verdict.
        try Data("nope".utf8).write(to: URL(fileURLWithPath: forged))
        #expect(try await verify(dir.file("data"), checkpoint: forged).status == 2)
    }

    @Test("a truncated tail while the stored head says more: exit 1 naming the head (case 75, issue 10 item 9)")
    func truncatedBelowHead() async throws {
        let (dir, _) = try await Self.prepare()
        defer { dir.remove() }
        let cut = try copy(dir, "cut")
        try await sql(cut, "DELETE FROM audit_log WHERE seq >= 6")
        let r = try await verify(cut)
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("ends at record 5") && r.stdout.contains("stored head is record 7"), "\(r.stdout)")
        #expect(!r.stdout.contains("audit chain ok"))
    }

    /// A stopped server's data folder after a realistic session: identities created and one
    /// decommissioned, keys issued, rotated and revoked, a leak reported (contained, incident)
    /// and the incident resolved.
    static func session() async throws -> (dir: TempDirectory, key: String, identity: String, incident: String, leaked: String) {
        let dir = try TempDirectory("keyward-audit")
        let (p, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin)]
        func json(_ args: String...) async throws -> [String: Any] {
            let r = try await KeywardBinary.run(args + ["--json"], env: env)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        }
        func identity(_ name: String) async throws -> String {
            try #require(try await json("identities", "create", "--name", name, "--kind", "workload", "--environment", "prod", "--technical-owner", "ops",
                                  "--purpose", "p", "--allowed-scope", "a:read")["id"] as? String)
        }
        let idn = try await identity("orders"), retired = try await identity("legacy")
        let key = try #require(try await json("keys", "create", "--identity", idn, "--scope", "a:read", "--ttl", "7d")["id"] as? String)
        _ = try await json("keys", "rotate", key, "--grace", "60")
        _ = try await json("keys", "revoke", key, "--reason", "replaced")
        let leaked = try await json("keys", "create", "--identity", idn, "--scope", "a:read", "--ttl", "7d")
        let leakedID = try #require(leaked["id"] as? String)
        let digest = SecretDigest(hashing: try #require(leaked["key"] as? String).utf8).hex
        _ = try await json("keys", "create", "--identity", retired, "--scope", "a:read", "--ttl", "1d")
        _ = try await json("identities", "decommission", retired, "--reason", "retired")
        let receipt = try await json("exposures", "report", "--source", "paste", "--sha256", digest)
        let incident = try #require(((receipt["results"] as? [[String: Any]])?.first?["incident_id"]) as? String)
        _ = try await json("incidents", "resolve", incident, "--reason", "successor deployed")
        #expect(p.stop() == 0)
        return (dir, key, retired, incident, leakedID)
    }

    @Test("after a realistic session the state matches the audit: exit 0 (case 75)")
    func cleanSession() async throws {
        let s = try await Self.session()
        defer { s.dir.remove() }
        let r = try await verify(s.dir.file("data"))
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("audit chain ok") && r.stdout.contains("state ok"), "\(r.stdout)")
    }

    @Test("a state edit around the audit: exit 1 naming the table, the id, the field and both values (case 75, issue 10 item 9)")
    func stateEdited() async throws {
        let s = try await Self.session()
        defer { s.dir.remove() }
        let cases: [(name: String, sql: String, expect: [String])] = [
            ("unrevoked", "UPDATE api_keys SET status = 'active', revoked_at = NULL, revoke_reason = NULL WHERE id = '\(s.key)'",
             ["api_keys \(s.key)", "status is active", "says revoked"]),
            ("undecommissioned", "UPDATE identities SET status = 'active', decommissioned_at = NULL WHERE id = '\(s.identity)'",
             ["identities \(s.identity)", "status is active", "says decommissioned"]),
            ("unresolved", "UPDATE incidents SET status = 'open' WHERE id = '\(s.incident)'",
             ["incidents \(s.incident)", "status is open", "says resolved"]),
            ("escalated", "UPDATE api_keys SET scopes = '[\"keyward:admin\"]' WHERE id = '\(s.leaked)'",
             ["api_keys \(s.leaked)", "scopes is keyward:admin", "says a:read"]),
            ("unexpired", "UPDATE api_key_versions SET expires_at = NULL WHERE key_id = '\(s.leaked)'",
             ["api_keys \(s.leaked)", "version 1 expires_at is none"]),
            ("planted", """
                INSERT INTO identities (id, name, kind, environment, data_classification, labels, allowed_scopes, status, created_at, updated_at)
                SELECT 'idn_ffffffffffffffffffffffffffffffff', name || '2', kind, environment, data_classification, labels, allowed_scopes, 'active',
                       created_at, updated_at FROM identities WHERE id = '\(s.identity)'
                """,
             ["identities idn_ffffffffffffffffffffffffffffffff", "no audit record creates it"]),
            ("deleted", "DELETE FROM incidents WHERE id = '\(s.incident)'", ["incidents \(s.incident)", "row is missing"]),
        ]
        for c in cases {
            let copy = try copy(s.dir, c.name)
            try await sql(copy, c.sql)
            let r = try await verify(copy)
            #expect(r.status == 1, "\(c.name): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("audit chain ok") && r.stdout.contains("state: FAILED"), "\(c.name): \(r.stdout)")
            for text in c.expect { #expect(r.stdout.contains(text), "\(c.name) lacks \(text): \(r.stdout)") }
        }
    }
}
