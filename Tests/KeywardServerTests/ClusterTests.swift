import Foundation
import KeywardCore
import KeywardGovernance
import KeywardServer
import KeywardStore
import KeywardTesting
import Testing

/// Several `keyward serve` nodes on one PostgreSQL database: changes reach the other nodes'
/// verify index through LISTEN/NOTIFY, without a restart.
@Suite("cluster", .serialized)
struct ClusterTests {
    @Test("issue, rotate, revoke and decommission on one node are seen by verify on another")
    func propagation() async throws {
        let url = try PostgresServer.instance().createDatabase()
        try await TestServer.with(database: url) { a in
            try await TestServer.with(database: url, adminKey: a.adminKey) { b in
                // Bounded polls: a change reaches node B only through PostgreSQL NOTIFY on another connection.
                let idn = try await a.createIdentity()
                let (id, key) = try await a.issueKey(identity: idn)
                let issued = try await eventually { try await b.verify(key)["valid"] as? Bool == true }
                #expect(issued != nil, "a key issued on node A never became valid on node B")

                // Rotate on B with no grace: A must answer `rotated` for the old version.
                let rot = try await b.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":0}"#)
                #expect(rot.status == 200)
                let newKey = try #require(rot.json()["key"] as? String)
                b.ledger.record(newKey)
                let rotated = try await eventually { try await a.verify(key)["reason"] as? String == "rotated" }
                #expect(rotated != nil, "node A kept accepting the rotated version")
                #expect(try await a.verify(newKey)["valid"] as? Bool == true)

                // Revoke on A: B answers `revoked`.
                let rev = try await a.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"cluster test"}"#)
                #expect(rev.status == 200)
                let revoked = try await eventually { try await b.verify(newKey)["reason"] as? String == "revoked" }
                #expect(revoked != nil, "node B kept accepting a key revoked on node A")

                // Decommission on B cascades; A sees the second key revoked.
                let (_, other) = try await a.issueKey(identity: idn)
                _ = try await eventually { try await b.verify(other)["valid"] as? Bool == true }
                let dec = try await b.request("POST", "/v1/identities/\(idn)/decommission", body: #"{"reason":"retired"}"#)
                #expect(dec.status == 200)
                let cascaded = try await eventually { try await a.verify(other)["reason"] as? String == "revoked" }
                #expect(cascaded != nil, "node A kept accepting a key of an identity decommissioned on node B")
                print("cluster propagation (informative, not asserted): issue \(issued.map { "\($0)" } ?? "-"), rotate \(rotated.map { "\($0)" } ?? "-"), revoke \(revoked.map { "\($0)" } ?? "-")")
            }
        }
    }

    @Test("a write too big for one notice makes the other node reload every key")
    func bulkReload() async throws {
        let url = try PostgresServer.instance().createDatabase()
        try await TestServer.with(database: url) { a in
            try await TestServer.with(database: url, adminKey: a.adminKey) { b in
                let idn = try await a.createIdentity()
                let id = try #require(IdentityID(idn))
                // 500 keys in one transaction: their ids do not fit in NOTIFY's 8000 bytes.
                let keys = try await a.runtime.governance.bulkIssue(count: 500, identity: id, scopes: [Scope("payments:read")!],
                                                                    environment: .live, ttl: 86_400, actor: .system, keep: 3)
                for k in keys { b.ledger.record(k.reveal()) }
                for k in keys {
                    // Bounded poll: node B reloads on a PostgreSQL NOTIFY, on another connection.
                    let seen = try await eventually { try await b.verify(k.reveal())["valid"] as? Bool == true }
                    #expect(seen != nil, "node B never loaded a key from a bulk write on node A")
                }
            }
        }
    }

    @Test("two nodes on one database send each webhook delivery once")
    func webhookDeliveredOnce() async throws {
        let url = try PostgresServer.instance().createDatabase()
        try await WebhookReceiver.with { receiver in
            try await TestServer.with(database: url) { a in
                // Nodes of one cluster share the HMAC key (it opens the sealed webhook secrets and URLs): TestServer
                // gives every node on one database the same key file.
                try await TestServer.with(database: url, adminKey: a.adminKey) { b in
                    let hook = try await a.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["key.revoked"]}"#, issuing: true)
                    #expect(hook.status == 201)
                    let idn = try await a.createIdentity()
                    for _ in 0..<5 {
                        let (id, _) = try await a.issueKey(identity: idn)
                        #expect(try await b.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"test"}"#).status == 200)
                    }
                    // A drain on each node: A's sends whatever is due and waits for a pass of A's timer under way;
                    // B's then waits for a pass of B's timer that claimed a delivery before A's drain could.
                    await a.drainWebhooks()
                    await b.drainWebhooks()
                    #expect(receiver.all.count == 5)
                    // One more drain on each node: a delivery either node could still claim twice would be sent again here.
                    #expect(await a.drainWebhooks().attempts.isEmpty)
                    #expect(await b.drainWebhooks().attempts.isEmpty)
                    let ids = receiver.all.compactMap { $0.headers["keyward-delivery"] }
                    #expect(ids.count == 5 && Set(ids).count == 5, "deliveries: \(ids)")
                }
            }
        }
    }
}
