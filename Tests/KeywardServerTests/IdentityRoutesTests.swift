import Foundation
import KeywardTesting
import KeywardCore
import KeywardServer
import NIOHTTP1
import KeywardStore
import KeywardVerify
import Testing

@Suite("Identities")
struct IdentityRoutesTests {
    @Test("create, show, list with filters and pages, update owner and purpose")
    func lifecycle() async throws {
        try await TestServer.with { s in
            let a = try await s.createIdentity(name: "a", environment: "production", kind: "service")
            _ = try await s.createIdentity(name: "b", technicalOwner: "bob@example.com", environment: "staging", kind: "pipeline")
            _ = try await s.createIdentity(name: "c", environment: "production", kind: "agent")
            let show = try await s.request("GET", "/v1/identities/\(a)")
            #expect(show.status == 200)
            #expect(show.json()["technical_owner"] as? String == "alice@example.com")
            #expect(show.json()["business_owner"] as? String == "payments")
            #expect(show.json()["data_classification"] as? String == "internal")
            #expect(show.json()["allowed_scopes"] as? [String] == ["payments:read", "payments:write"])

            func ids(_ q: String) async throws -> [String] {
                let r = try await s.request("GET", "/v1/identities?\(q)")
                #expect(r.status == 200)
                return (r.json()["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            #expect(try await ids("environment=production&limit=50").count == 2)
            #expect(try await ids("kind=pipeline").count == 1)
            #expect(try await ids("owner=bob%40example.com").count == 1)
            // 3 customer identities + the built-in one, 2 per page.
            var all: [String] = []
            var cursor: String?
            repeat {
                let r = try await s.request("GET", "/v1/identities?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                all += (r.json()["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = r.json()["next_cursor"] as? String
            } while cursor != nil
            #expect(all.count == 4)
            #expect(Set(all).count == 4)

            let upd = try await s.request("PATCH", "/v1/identities/\(a)", body: #"{"technical_owner":"carol@example.com","purpose":"refunds"}"#)
            #expect(upd.status == 200)
            #expect(upd.json()["technical_owner"] as? String == "carol@example.com")
            #expect(upd.json()["purpose"] as? String == "refunds")
        }
    }

    @Test("decommission revokes every key of the identity at once, and is audited")
    func decommission() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let k1 = try await s.issueKey(identity: idn)
            let k2 = try await s.issueKey(identity: idn, scopes: ["payments:write"])
            #expect(try await s.verify(k1.key)["valid"] as? Bool == true)
            let r = try await s.request("POST", "/v1/identities/\(idn)/decommission", body: #"{"reason":"service retired"}"#)
            #expect(r.status == 200)
            #expect(r.json()["status"] as? String == "decommissioned")
            #expect(r.json()["revoked_keys"] as? Int == 2)
            for k in [k1, k2] {
                let v = try await s.verify(k.key)
                #expect(v["valid"] as? Bool == false)
                #expect(v["reason"] as? String == "revoked")
            }
            let again = try await s.request("POST", "/v1/identities/\(idn)/decommission")
            #expect(again.status == 409)
            let issue = try await s.request("POST", "/v1/keys", body: "{\"identity_id\":\"\(idn)\",\"scopes\":[\"payments:read\"],\"environment\":\"live\"}")
            #expect(issue.status == 422)
            #expect(issue.json()["rule"] as? String == "identity.decommissioned")
            let audit = try await s.request("GET", "/v1/audit?limit=1000")
            let actions = (audit.json()["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.filter { $0 == "key.revoked" }.count == 2)
            #expect(actions.contains("identity.decommissioned"))
            #expect(try await s.request("POST", "/v1/identities/idn_00000000000000000000000000000000/decommission").status == 409)
            #expect(try await s.leakReport().isEmpty)
        }
    }
}
