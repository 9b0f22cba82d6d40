import Foundation
import KeywardTesting
import NIOHTTP1
import Testing

// case 76 of docs/security-cases.md (issue 10 item 7): the audit sink unwritable. On PostgreSQL the server
// connects as a role without superuser rights, and INSERT on audit_log is revoked from it: a
// write cannot be audited, so it is refused (fail closed, like Vault's blocked audit devices).
@Suite("Audit sink unwritable", .serialized)
struct AuditSinkFaultTests {
    @Test("INSERT on audit_log revoked: issue, rotate and revoke answer 503 + Retry-After and change nothing; verify answers; granted again, writes work")
    func auditInsertRevoked() async throws {
        let pg = try PostgresServer.instance()
        let (role, url) = try pg.createDatabaseWithOwnRole()
        try await TestServer.with(database: url) { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn)
            let (otherID, other) = try await s.issueKey(identity: idn)
            func count(_ table: String) throws -> String { try pg.superuserSQL("SELECT count(*) FROM \(table)", in: url) }
            let (keysBefore, versionsBefore, auditBefore) = (try count("api_keys"), try count("api_key_versions"), try count("audit_log"))

            try pg.superuserSQL("REVOKE INSERT ON audit_log FROM \(role)", in: url)
            let issue = try await s.request("POST", "/v1/keys", body: #"{"identity_id":"\#(idn)","scopes":["payments:read"],"environment":"live"}"#,
                                            issuing: true)
            let rotate = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":0}"#, issuing: true)
            let revoke = try await s.request("POST", "/v1/keys/\(otherID)/revoke", body: #"{"reason":"audit down"}"#)
            for (name, r) in [("issue", issue), ("rotate", rotate), ("revoke", revoke)] {
                #expect(r.status == 503, "\(name): \(r.status) \(r.text)")
                #expect((r.headers.first(name: "Retry-After").flatMap { Int($0) } ?? 0) >= 1, "\(name)")
                #expect(r.headers.first(name: "Content-Type") == "application/problem+json", "\(name)")
                #expect(!r.text.contains("audit_log") && !r.text.contains("permission"), "\(name): the fault is logged, not told")
            }
            // Nothing changed: no key created, rotated or revoked, no audit record.
            #expect(try count("api_keys") == keysBefore)
            #expect(try count("api_key_versions") == versionsBefore)
            #expect(try count("audit_log") == auditBefore)
            #expect(try pg.superuserSQL("SELECT current_version || ' ' || status FROM api_keys WHERE id = '\(id)'", in: url) == "1 active")
            #expect(try pg.superuserSQL("SELECT status FROM api_keys WHERE id = '\(otherID)'", in: url) == "active")
            // Verify still answers, from the index.
            #expect(try await s.verify(key)["valid"] as? Bool == true)
            #expect(try await s.verify(other)["valid"] as? Bool == true)
            #expect(s.logs.all.contains { $0.contains("store fault") })

            try pg.superuserSQL("GRANT INSERT ON audit_log TO \(role)", in: url)
            let (_, third) = try await s.issueKey(identity: idn)
            #expect(try await s.verify(third)["valid"] as? Bool == true)
            let rotated = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":0}"#, issuing: true)
            #expect(rotated.status == 200)
            if let k = rotated.json()["key"] as? String { s.ledger.record(k) }
            #expect(try await s.request("POST", "/v1/keys/\(otherID)/revoke", body: #"{"reason":"audit back"}"#).status == 200)
            // The store feeds this node's index before the revoke answers: no waiting.
            #expect(try await s.verify(other)["reason"] as? String == "revoked")
            #expect(try await s.auditChainIsValid())
            #expect(try await s.leakReport().isEmpty)
        }
    }
}
