import Foundation
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import NIOHTTP1
import Synchronization
import Testing

@Suite("Concurrency and both stores")
struct ConcurrencyTests {
    // case 70 of docs/security-cases.md.
    @Test("concurrent rotate and revoke of one key: one wins cleanly, the chain stays valid", arguments: Backend.allCases)
    func rotateVersusRevoke(_ backend: Backend) async throws {
        try await TestServer.with(database: try backend.databaseURL()) { s in
            let idn = try await s.createIdentity()
            for round in 0..<6 {
                let (id, _) = try await s.issueKey(identity: idn)
                let st = try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<6 {
                        group.addTask {
                            let r = i % 2 == (round % 2)
                                ? try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":0}"#, issuing: true)
                                : try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"race"}"#)
                            if let k = r.json()["key"] as? String { s.ledger.record(k) }
                            let kind = r.text.contains("\"key\"") ? "rotate" : (r.json()["status"] as? String == "revoked" ? "revoke" : "x")
                            return "\(r.status) \(kind)"
                        }
                    }
                    var counts: [String: Int] = [:]
                    for try await outcome in group { counts[outcome, default: 0] += 1 }
                    return counts
                }
                // Exactly one revoke wins; every other request is a 200 rotate before it or a clean 409 after it.
                #expect(st["200 revoke"] == 1, "\(st)")
                #expect(st.keys.allSatisfy { ["200 rotate", "200 revoke", "409 x"].contains($0) }, "\(st)")
                let show = try await s.request("GET", "/v1/keys/\(id)")
                #expect(show.json()["status"] as? String == "revoked")
                let versions = (show.json()["versions"] as? [Any])?.count ?? 0
                #expect(versions == 1 + (st["200 rotate"] ?? 0))
            }
            guard try await s.auditChainIsValid() else { Issue.record("audit chain broken"); return }
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("the whole key lifecycle works on PostgreSQL too, and a second node sees it after restart")
    func postgresLifecycle() async throws {
        let url = try PostgresServer.instance().createDatabase()
        let (id, key, admin) = try await TestServer.with(database: url) { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn)
            #expect(try await s.verify(key)["valid"] as? Bool == true)
            let rot = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":3600}"#)
            #expect(rot.status == 200)
            return (id, key, s.adminKey)
        }
        // A fresh node on the same database (its own data folder, so a shared HMAC key file would be
        // configured in production) loads the index from the store: the old version is still in grace.
        try await TestServer.with(database: url, adminKey: admin) { s in
            let v = try await s.verify(key)
            #expect(v["valid"] as? Bool == true)
            #expect(v["version"] as? Int == 1)
            let r = try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"done"}"#)
            #expect(r.status == 200)
            #expect(try await s.verify(key)["reason"] as? String == "revoked")
        }
    }
}
