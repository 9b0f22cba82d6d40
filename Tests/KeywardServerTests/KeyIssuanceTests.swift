import Foundation
import KeywardTesting
import KeywardCore
import KeywardServer
import NIOHTTP1
import KeywardStore
import KeywardVerify
import Testing

@Suite("Key issuance under policy")
struct KeyIssuanceTests {
    func body(_ idn: String, _ extra: String = "", scopes: String = #"["payments:read"]"#, env: String = "live") -> String {
        "{\"identity_id\":\"\(idn)\",\"scopes\":\(scopes),\"environment\":\"\(env)\"\(extra)}"
    }

    @Test("201 with the plaintext once, in the DESIGN.md format; later reads show only prefix and fingerprint")
    func issue() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let r = try await s.request("POST", "/v1/keys", body: body(idn, #","name":"checkout","ttl_seconds":3600"#), issuing: true)
            #expect(r.status == 201)
            #expect(r.headers["Cache-Control"].first == "no-store")
            let key = try #require(r.json()["key"] as? String)
            s.ledger.record(key)
            #expect(key.hasPrefix("kw_live_") && key.count == 46)
            #expect(r.json()["version"] as? Int == 1)
            #expect((r.json()["prefix"] as? String).map { key.hasPrefix($0) } == true)
            let id = try #require(r.json()["id"] as? String)
            let show = try await s.request("GET", "/v1/keys/\(id)")
            #expect(show.status == 200)
            #expect(!show.text.contains(key))
            #expect(show.json()["status"] as? String == "active")
            let versions = show.json()["versions"] as? [[String: Any]] ?? []
            #expect((versions.first?["fingerprint"] as? String)?.hasPrefix("hmac-sha256:") == true)
            let list = try await s.request("GET", "/v1/keys?identity_id=\(idn)")
            #expect((list.json()["items"] as? [Any])?.count == 1)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("422 with the failing rule, and the refusal is audited", arguments: [
        ("owner", "identity.technical_owner_required"),
        ("purpose", "identity.purpose_required"),
        ("scope", "scopes.outside_allowed"),
        ("live-lifetime", "lifetime.exceeds_maximum"),
        ("test-lifetime", "lifetime.exceeds_maximum"),
        ("non-expiring", "lifetime.non_expiring_requires_exception"),
    ])
    func refusals(_ testCase: String, _ rule: String) async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity(technicalOwner: testCase == "owner" ? nil : "alice@example.com",
                                                 purpose: testCase == "purpose" ? nil : "charges cards")
            let req: String
            switch testCase {
            case "scope": req = body(idn, scopes: #"["payments:admin"]"#)
            case "live-lifetime": req = body(idn, #","ttl_seconds":7776001"#)
            case "test-lifetime": req = body(idn, #","ttl_seconds":2592001"#, env: "test")
            case "non-expiring": req = body(idn, #","non_expiring":true"#)
            default: req = body(idn)
            }
            let r = try await s.request("POST", "/v1/keys", body: req)
            #expect(r.status == 422)
            #expect(r.headers["Content-Type"].first == "application/problem+json")
            #expect(r.json()["rule"] as? String == rule)
            #expect(r.json()["key"] == nil)
            let keys = try await s.request("GET", "/v1/keys?identity_id=\(idn)")
            #expect((keys.json()["items"] as? [Any])?.isEmpty == true)
            let audit = try await s.request("GET", "/v1/audit?limit=1000")
            let refused = (audit.json()["items"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "key.refused" }
            #expect(refused.count == 1)
            #expect((refused.first?["details"] as? [String: String])?["rule"] == rule)
        }
    }

    @Test("a non-expiring key only with an explicit, audited policy exception")
    func exception() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, _) = try await s.issueKey(identity: idn, extra: ["non_expiring": true, "policy_exception_reason": "partner cannot rotate until Q3"])
            let show = try await s.request("GET", "/v1/keys/\(id)")
            #expect(show.json()["expires_at"] == nil)
            let audit = try await s.request("GET", "/v1/audit?limit=1000")
            let ex = (audit.json()["items"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "policy.exception" && $0["target"] as? String == id }
            #expect(ex.count == 1)
            #expect((ex.first?["details"] as? [String: String])?["reason"] == "partner cannot rotate until Q3")
        }
    }

    @Test("configured policy maxima apply")
    func configuredPolicy() async throws {
        try await TestServer.with(configure: { $0.policy.maxLifetime[.live] = 3600 }) { s in
            let idn = try await s.createIdentity()
            let r = try await s.request("POST", "/v1/keys", body: body(idn, #","ttl_seconds":3601"#))
            #expect(r.status == 422)
            _ = try await s.issueKey(identity: idn, ttl: 3600)
            // The default lifetime is capped by the environment's maximum.
            let (id, _) = try await s.issueKey(identity: idn)
            #expect(try await s.request("GET", "/v1/keys/\(id)").status == 200)
        }
    }
}
