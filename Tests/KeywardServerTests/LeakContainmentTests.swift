import Foundation
import KeywardAPI
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import KeywardVerify
import Testing

/// Issue 5: a leak is matched to its owner, contained by policy, and recorded as an incident
/// with its clock — over real HTTP, on a real SQLite file.
@Suite("leak containment", .serialized)
struct LeakContainmentTests {
    static let builtin = "idn_00000000000000000000000000000000"

    static func sha(_ s: String) -> String { SecretDigest(hashing: s.utf8).hex }
    /// What `keyward scan --report-to` sends beside the digest: proof that it held the key.
    static func proof(_ s: String) -> String { PossessionProof.proof(of: Array(s.utf8)).hex }

    static func report(_ s: TestServer, source: String = "scanner", _ items: [[String: Any]], token: String? = nil) async throws -> TestServer.Reply {
        let body = try JSONSerialization.data(withJSONObject: ["source": source, "items": items])
        return try await s.request("POST", "/v1/exposures", body: String(decoding: body, as: UTF8.self), token: .some(token))
    }

    static func auditActions(_ s: TestServer) async throws -> [String] { try await s.auditRecords().map(\.action) }

    static func chainIsValid(_ s: TestServer) async throws -> Bool { try await s.auditChainIsValid() }

    @Test("a live key found by a scanner is revoked in the intake transaction; the incident has its timeline, clock and blast radius")
    func liveKeyRevoked() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, scopes: ["payments:read", "payments:write"])
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"])
            let r = try await Self.report(s, [["rule_id": "keyward.api-key", "sha256": Self.sha(key), "possession_proof": Self.proof(key), "path": "config/app.env", "line": 3,
                                               "commit": "0123456789abcdef0123456789abcdef01234567"]], token: reporter)
            #expect(r.status == 202)
            let receipt = try r.decode(ExposureReceipt.self)
            let result = try #require(receipt.results?.first)
            #expect(result.classification == "valid")
            #expect(result.action == "revoke")
            let incidentID = try #require(result.incidentId)
            // Contained before the report call returned: the very next verify says so.
            #expect(try await s.verify(key)["reason"] as? String == "revoked")

            let inc = try await s.request("GET", "/v1/incidents/\(incidentID)").decode(IncidentResponse.self)
            #expect(inc.status == "contained")
            #expect(inc.targetId == id)
            #expect(inc.identityId == idn)
            #expect(inc.timeline.map(\.kind).starts(with: ["received", "matched", "contained"]))
            let ttc = try #require(inc.timeToContainMs)
            #expect(ttc >= 0 && ttc < 60_000)
            #expect(inc.guidance.contains("keyward keys create --identity \(idn)"))
            let radius = try #require(inc.blastRadius)
            #expect(radius.owner.technicalOwner == "alice@example.com")
            #expect(radius.resources == ["payments"])
            #expect(radius.target.status == "active", "the blast radius is what was at stake when the leak arrived")
            #expect(try #require(inc.hunt).since <= inc.receivedAt)

            let list = try await s.request("GET", "/v1/incidents?status=contained").json()
            #expect((list["items"] as? [[String: Any]])?.count == 1)
            let actions = try await Self.auditActions(s)
            #expect(actions.contains("incident.opened") && actions.contains("exposure.reported"))
            #expect(try await Self.chainIsValid(s))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("the same exposure twice, and many concurrent reports of one secret: one incident, one revocation")
    func idempotentAndConcurrent() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn)
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"])
            let item: [String: Any] = ["rule_id": "keyward.api-key", "sha256": Self.sha(key), "possession_proof": Self.proof(key), "path": "a.env", "line": 1]
            let first = try await Self.report(s, [item], token: reporter).decode(ExposureReceipt.self)
            let again = try await Self.report(s, [item], token: reporter).decode(ExposureReceipt.self)
            #expect(first.accepted == 1 && again.duplicates == 1 && again.accepted == 0)
            #expect(again.results?.first?.incidentId == first.results?.first?.incidentId)
            #expect(again.results?.first?.action == nil)

            // 16 reports of the same secret in different places, at once.
            try await withThrowingTaskGroup(of: Int.self) { g in
                for n in 0..<16 {
                    g.addTask {
                        try await Self.report(s, source: n % 2 == 0 ? "scanner" : "internal",
                                              [["rule_id": "keyward.api-key", "sha256": Self.sha(key), "possession_proof": Self.proof(key), "path": "copy-\(n).env"]],
                                              token: reporter).status
                    }
                }
                for try await status in g { #expect(status == 202) }
            }
            let incidents = try await s.request("GET", "/v1/incidents?target_id=\(id)").decode(ListResponse<IncidentResponse>.self)
            #expect(incidents.items.count == 1)
            #expect(incidents.items.first?.exposureCount == 17)
            let revocations = try await Self.auditActions(s).filter { $0 == "key.revoked" }
            #expect(revocations.count == 1)
            #expect(try await Self.chainIsValid(s))
        }
    }

    @Test("a test key is quarantined; rotating it issues a successor and stops the exposed version at once")
    func testKeyQuarantined() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, environment: "test")
            let r = try await Self.report(s, [["rule_id": "keyward.api-key", "sha256": Self.sha(key), "path": "t.env"]], token: nil)
            #expect(try r.decode(ExposureReceipt.self).results?.first?.action == "quarantine")
            #expect(try await s.verify(key)["reason"] as? String == "quarantined")
            #expect(try await s.request("GET", "/v1/keys/\(id)").json()["status"] as? String == "quarantined")
            let rot = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":3600}"#)
            #expect(rot.status == 200)
            let successor = try #require(rot.json()["key"] as? String)
            s.ledger.record(successor)
            #expect(try await s.verify(successor)["valid"] as? Bool == true)
            #expect(try await s.verify(key)["reason"] as? String == "rotated", "no grace for a leaked version")
        }
    }

    @Test("quarantine can admit a configured read-only scope set")
    func quarantineScopes() async throws {
        try await TestServer.with(configure: { $0.verifier.quarantineScopes = [Scope("payments:read")!] }) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn, scopes: ["payments:read", "payments:write"], environment: "test")
            _ = try await Self.report(s, [["rule_id": "keyward.api-key", "sha256": Self.sha(key), "path": "t.env"]])
            let read = try await s.verify(key, scopes: ["payments:read"])
            #expect(read["valid"] as? Bool == true)
            #expect(read["scopes"] as? [String] == ["payments:read"])
            #expect(try await s.verify(key, scopes: ["payments:write"])["reason"] as? String == "quarantined")
            #expect(try await s.verify(key)["reason"] as? String == "quarantined")
        }
    }

    @Test("containment policy per source: notify keeps the key valid and opens an incident")
    func notifyPolicy() async throws {
        try await TestServer.with(configure: {
            $0.containment = ContainmentPolicy(rules: try! ContainmentPolicy.parseRules("internal:live=notify", sources: ["scanner", "paste", "darknet", "partner", "internal"]))
        }) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let r = try await Self.report(s, source: "internal", [["rule_id": "keyward.api-key", "sha256": Self.sha(key), "url": "https://wiki.example/page"]])
            let result = try #require(try r.decode(ExposureReceipt.self).results?.first)
            #expect(result.action == "notify")
            #expect(try await s.verify(key)["valid"] as? Bool == true)
            let inc = try await s.request("GET", "/v1/incidents/\(try #require(result.incidentId))").decode(IncidentResponse.self)
            #expect(inc.status == "open" && inc.timeToContainMs == nil)
            let resolved = try await s.request("POST", "/v1/incidents/\(inc.id)/resolve", body: #"{"reason":"rotated by hand"}"#)
            #expect(resolved.status == 200)
            #expect(try await s.request("POST", "/v1/incidents/\(inc.id)/resolve", body: #"{"reason":"again"}"#).status == 409)
        }
    }

    @Test("revoking a key revokes the keys derived from it; derivation cannot widen scopes or outlive the parent")
    func derivedCascade() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (parent, parentKey) = try await s.issueKey(identity: idn, scopes: ["payments:read", "payments:write"], ttl: 86_400)
            let (child, childKey) = try await s.issueKey(identity: idn, scopes: ["payments:read"], ttl: 3_600, extra: ["derived_from": parent])
            let (_, grandchildKey) = try await s.issueKey(identity: idn, scopes: ["payments:read"], ttl: 600, extra: ["derived_from": child])
            let wider = try await s.request("POST", "/v1/keys", body: "{\"identity_id\":\"\(idn)\",\"scopes\":[\"payments:read\",\"payments:write\"],\"environment\":\"live\",\"ttl_seconds\":60,\"derived_from\":\"\(child)\"}")
            #expect(wider.status == 422)
            #expect(wider.json()["rule"] as? String == "derivation.scope_exceeds_parent")
            let longer = try await s.request("POST", "/v1/keys", body: "{\"identity_id\":\"\(idn)\",\"scopes\":[\"payments:read\"],\"environment\":\"live\",\"ttl_seconds\":7200,\"derived_from\":\"\(child)\"}")
            #expect(longer.json()["rule"] as? String == "derivation.outlives_parent")

            let radius = try await s.request("GET", "/v1/keys/\(parent)/blast-radius").decode(BlastRadius.self)
            #expect(radius.derivedCredentials.count == 2)
            // A leak of the parent revokes all three.
            _ = try await Self.report(s, [["rule_id": "keyward.api-key", "sha256": Self.sha(parentKey), "path": "p.env"]])
            for k in [parentKey, childKey, grandchildKey] { #expect(try await s.verify(k)["reason"] as? String == "revoked") }
            #expect(try await Self.auditActions(s).filter { $0 == "key.revoked" }.count == 3)
        }
    }

    @Test("blast radius: declared consumers, observed verify sources (undeclared ones flagged), scopes used in the hunt")
    func blastRadiusAndHunt() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, scopes: ["payments:read", "payments:write"])
            let c = try await s.request("POST", "/v1/consumers", body: "{\"name\":\"checkout\",\"kind\":\"deployment\",\"environment\":\"production\",\"contact\":\"#checkout\",\"holds\":[\"\(id)\"]}")
            #expect(c.status == 201)
            let partner = try await s.request("POST", "/v1/consumers", body: "{\"name\":\"acme-billing\",\"kind\":\"partner\",\"environment\":\"production\",\"holds\":[\"\(id)\"]}")
            #expect(partner.status == 201)
            #expect(try await s.request("POST", "/v1/consumers", body: #"{"name":"x","kind":"robot","environment":"prod"}"#).status == 422)
            #expect(try await s.request("POST", "/v1/consumers", body: #"{"name":"x","kind":"agent","environment":"prod","holds":["key_00000000000000000000000000000001"]}"#).status == 422)
            for (ua, ip) in [("checkout/2.1", "10.0.0.5"), ("curl/8.0", "203.0.113.9")] {
                let body = "{\"key\":\"\(key)\",\"scopes\":[\"payments:read\"],\"source\":{\"ip\":\"\(ip)\",\"user_agent\":\"\(ua)\"}}"
                #expect(try await s.request("POST", "/v1/keys/verify", body: body).status == 200)
            }
            // Nothing here flushes usage: the blast radius route and the containment do.
            let radius = try await s.request("GET", "/v1/keys/\(id)/blast-radius").decode(BlastRadius.self)
            #expect(Set(radius.declaredConsumers.map(\.name)) == ["checkout", "acme-billing"])
            #expect(radius.thirdParties == ["acme-billing"])
            let observed = Dictionary(uniqueKeysWithValues: radius.observedConsumers.map { ($0.userAgent ?? "", $0.undeclared) })
            #expect(observed["checkout/2.1"] == false)
            #expect(observed["curl/8.0"] == true)

            // One more call just before the leak is reported: the hunt counts it too.
            let last = "{\"key\":\"\(key)\",\"scopes\":[\"payments:read\"],\"source\":{\"ip\":\"10.0.0.5\",\"user_agent\":\"checkout/2.1\"}}"
            #expect(try await s.request("POST", "/v1/keys/verify", body: last).status == 200)
            let r = try await Self.report(s, [["rule_id": "keyward.api-key", "sha256": Self.sha(key), "path": "x.env"]])
            let inc = try await s.request("GET", "/v1/incidents/\(try #require(try r.decode(ExposureReceipt.self).results?.first?.incidentId))").decode(IncidentResponse.self)
            let hunt = try #require(inc.hunt)
            #expect(hunt.outcomes["valid"] == 3)
            #expect(hunt.scopesUsed.map(\.scope) == ["payments:read"])
            #expect(hunt.sources.count == 2)
            #expect(try await s.request("GET", "/v1/keys/key_00000000000000000000000000000009/blast-radius").status == 404)
            #expect(try await s.request("GET", "/v1/keys/nonsense/blast-radius").status == 404)
        }
    }

    @Test("leak intelligence: a third-party credential's plaintext is matched by fingerprint, never stored or echoed; the owner is told how to revoke it")
    func thirdPartyCredential() async throws {
        // Plaintext intelligence over plain HTTP only because this host's loopback is declared trusted.
        try await TestServer.with(configure: { $0.acceptPlaintextFromLoopback = true }) { s in
            let idn = try await s.createIdentity()
            let stripeLike = "sk_live_" + String(repeating: "T3stOnlyNotReal", count: 2) + "x9Q"
            let password = "hunter2-correct-horse"
            s.ledger.record(stripeLike)
            s.ledger.record(password)
            let imp = try await s.request("POST", "/v1/credentials", body: """
                {"identity_id":"\(idn)","origin":"dotenv","items":[
                 {"name":"STRIPE_SECRET_KEY","secret":"\(stripeLike)","provider":"stripe","rule_id":"stripe.secret-key","high_entropy":true},
                 {"name":"DB_PASSWORD","secret":"\(password)","provider":"postgres","high_entropy":true}]}
                """)
            #expect(imp.status == 201)
            let creds = try imp.decode(ListResponse<CredentialResponse>.self).items
            #expect(creds.map(\.hasDigest) == [true, false], "no bare hash of a password, whatever the client says")
            #expect(creds.allSatisfy { $0.environment == "production" })

            let r = try await Self.report(s, source: "paste", [["rule_id": "stripe.secret-key", "secret": stripeLike, "url": "https://paste.example/abc"]])
            let result = try #require(try r.decode(ExposureReceipt.self).results?.first)
            #expect(result.classification == "third_party" && result.action == "notify")
            let inc = try await s.request("GET", "/v1/incidents/\(try #require(result.incidentId))").decode(IncidentResponse.self)
            #expect(inc.guidance.contains("dashboard.stripe.com/apikeys"))
            #expect(inc.status == "open")
            #expect(try await s.request("GET", "/v1/credentials/\(creds[0].id)").json()["status"] as? String == "exposed")

            // The password is matched by its HMAC fingerprint alone.
            let pw = try await Self.report(s, source: "darknet", [["rule_id": "generic.password", "secret": password, "url": "tor://dump/1"]])
            #expect(try pw.decode(ExposureReceipt.self).results?.first?.classification == "third_party")
            // Unknown secrets are recorded as unowned.
            let unknown = try await Self.report(s, [["rule_id": "keyward.api-key", "sha256": String(repeating: "ab", count: 32), "path": "u.env"]])
            #expect(try unknown.decode(ExposureReceipt.self).results?.first?.classification == "unknown")
            #expect(try await s.runtime.store.unownedExposureCount() == 1)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("bad reports: garbage digests, unknown sources, plaintext from the scanner, oversized batches — 4xx and nothing recorded")
    func badReports() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let cases: [(String, Int)] = [
                (#"{"source":"scanner","items":[{"rule_id":"x","sha256":"zz"}]}"#, 422),
                (#"{"source":"twitter","items":[{"rule_id":"x","path":"a"}]}"#, 400),
                (#"{"source":"scanner","items":[{"rule_id":"x","secret":"\#(key)"}]}"#, 422),
                (#"{"source":"paste","items":[{"rule_id":"x","secret":"\#(key)","sha256":"\#(Self.sha(key))"}]}"#, 422),
                (#"{"source":"scanner","items":[{"rule_id":"x"}]}"#, 422),
                (#"{"source":"scanner","items":[{"rule_id":"x","path":"\#(key)"}]}"#, 422),
            ]
            for (body, status) in cases {
                let r = try await s.request("POST", "/v1/exposures", body: body)
                #expect(r.status == status, "\(r.text)")
                #expect(!r.text.contains(key))
            }
            let big = (0..<1_001).map { ["rule_id": "x", "path": "p\($0)"] }
            #expect(try await Self.report(s, big).status == 413)
            #expect(try await s.runtime.store.exposureCount() == 0)
            #expect(try await s.verify(key)["valid"] as? Bool == true)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("the whole loop on PostgreSQL: import, intake, containment with cascade, hunt, blast radius, incidents, webhooks queued")
    func loopOnPostgres() async throws {
        let url = try PostgresServer.instance().createDatabase()
        try await TestServer.with(database: url, configure: { $0.acceptPlaintextFromLoopback = true }) { s in
            let hook = try await s.request("POST", "/v1/webhooks", body: #"{"url":"http://127.0.0.1:9/hook","events":["incident.opened"]}"#, issuing: true)
            #expect(hook.status == 201)
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            let (_, child) = try await s.issueKey(identity: idn, scopes: ["payments:read"], ttl: 600, extra: ["derived_from": id])
            #expect(try await s.request("POST", "/v1/consumers", body: "{\"name\":\"checkout\",\"kind\":\"deployment\",\"environment\":\"production\",\"holds\":[\"\(id)\"]}").status == 201)
            let pw = "pg-test-password-only"
            s.ledger.record(pw)
            #expect(try await s.request("POST", "/v1/credentials", body: "{\"identity_id\":\"\(idn)\",\"items\":[{\"name\":\"DB\",\"secret\":\"\(pw)\"}]}").status == 201)
            #expect(try await s.request("POST", "/v1/keys/verify", body: "{\"key\":\"\(key)\",\"scopes\":[\"payments:read\"],\"source\":{\"ip\":\"10.1.1.1\"}}").status == 200)
            await s.flushUsage()
            let r = try await Self.report(s, [["rule_id": "keyward.api-key", "sha256": Self.sha(key), "path": "a.env"]])
            let result = try #require(try r.decode(ExposureReceipt.self).results?.first)
            #expect(result.action == "revoke")
            for k in [key, child] { #expect(try await s.verify(k)["reason"] as? String == "revoked") }
            let inc = try await s.request("GET", "/v1/incidents/\(try #require(result.incidentId))").decode(IncidentResponse.self)
            #expect(inc.hunt?.outcomes["valid"] == 1)
            #expect(inc.blastRadius?.declaredConsumers.map(\.name) == ["checkout"])
            #expect(inc.blastRadius?.derivedCredentials.count == 1)
            #expect(inc.timeline.contains { $0.kind == "notified" })
            let third = try await Self.report(s, source: "darknet", [["rule_id": "generic.password", "secret": pw, "url": "tor://x"]])
            #expect(try third.decode(ExposureReceipt.self).results?.first?.classification == "third_party")
            #expect(try await s.request("GET", "/v1/incidents?status=open").decode(ListResponse<IncidentResponse>.self).items.count == 1)
            #expect(try await Self.chainIsValid(s))
            #expect(try await s.leakReport().isEmpty)
        }
    }
}
