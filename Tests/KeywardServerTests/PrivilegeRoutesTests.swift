import Foundation
import KeywardAPI
import KeywardCore
import KeywardTesting
import NIOHTTP1
import Testing

/// `GET /v1/identities/{id}/privilege`, `POST …/privilege/apply` and `GET /v1/keys/dormant`
/// over a socket, on a manual clock.
@Suite("Least privilege and dormant keys")
struct PrivilegeRoutesTests {
    @Test("privilege proposes what verifies named, apply narrows (verify then answers insufficient_scope), a widening is 422, dormant lists the unused key; bad input is 4xx")
    func roundTrip() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity(name: "orders-api", scopes: ["orders:read", "orders:write", "orders:refund", "orders:export"])
            let wide = try await s.issueKey(identity: idn, scopes: ["orders:export", "orders:read", "orders:refund", "orders:write"])
            let idle = try await s.issueKey(identity: idn, scopes: ["orders:read"])
            clock.advance(by: 8 * 86_400)
            #expect(try await s.verify(wide.key, scopes: ["orders:read"])["valid"] as? Bool == true)
            #expect(try await s.verify(wide.key, scopes: ["orders:write"])["valid"] as? Bool == true)
            await s.flushUsage()

            let r = try await s.request("GET", "/v1/identities/\(idn)/privilege?window_days=7")
            #expect(r.status == 200, "\(r.text)")
            let p = try r.decode(IdentityPrivilegeResponse.self)
            #expect(p.windowDays == 7 && p.summary.keysToNarrow == 1 && p.summary.dormantKeys == 1)
            #expect(p.summary.unusedAllowedScopes == ["orders:export", "orders:refund"])
            let w = try #require(p.keys.first { $0.keyId == wide.id })
            #expect(w.basis == "observed" && w.proposedScopes == ["orders:read", "orders:write"] && w.unusedScopes == ["orders:export", "orders:refund"])
            let i = try #require(p.keys.first { $0.keyId == idle.id })
            #expect(i.basis == "dormant" && i.proposedScopes == nil)
            #expect(try await s.request("GET", "/v1/identities/\(idn)/privilege").decode(IdentityPrivilegeResponse.self).windowDays == 30)

            let widen = try await s.request("POST", "/v1/identities/\(idn)/privilege/apply",
                                            body: #"{"keys":[{"key_id":"\#(wide.id)","scopes":["orders:read","payments:admin"]}]}"#)
            #expect(widen.status == 422 && widen.headers.first(name: "content-type")?.hasPrefix("application/problem+json") == true)
            #expect(widen.json()["rule"] as? String == "privilege.no_widening")

            let applied = try await s.request("POST", "/v1/identities/\(idn)/privilege/apply", body: #"{"window_days":7,"keys":[{"key_id":"\#(wide.id)"}]}"#)
            #expect(applied.status == 200, "\(applied.text)")
            let a = try applied.decode(PrivilegeApplyResponse.self)
            #expect(a.changes.map(\.scopes) == [["orders:read", "orders:write"]] && a.changes.first?.removed == ["orders:export", "orders:refund"])
            #expect(try await s.verify(wide.key, scopes: ["orders:refund"])["reason"] as? String == "insufficient_scope")
            #expect(try await s.verify(wide.key, scopes: ["orders:read"])["valid"] as? Bool == true)
            #expect(try await s.auditRecords().last?.action == "key.scopes_narrowed")
            #expect(try await s.auditChainIsValid())

            let dormant = try await s.request("GET", "/v1/keys/dormant?days=7")
            #expect(dormant.status == 200, "\(dormant.text)")
            let items = try dormant.decode(ListResponse<DormantKeyResponse>.self).items
            #expect(items.map(\.id) == [idle.id] && items.first?.idleDays == 8 && items.first?.technicalOwner == "alice@example.com")

            for (method, path, body, status) in [
                ("GET", "/v1/identities/\(idn)/privilege?window_days=0", nil, 400),
                ("GET", "/v1/identities/\(idn)/privilege?window_days=366", nil, 400),
                ("GET", "/v1/identities/idn_0123456789abcdef0123456789abcdef/privilege", nil, 404),
                ("GET", "/v1/keys/dormant?days=x", nil, 400),
                ("GET", "/v1/keys/dormant?identity_id=nope", nil, 400),
                ("POST", "/v1/identities/\(idn)/privilege/apply", #"{"keys":[]}"#, 422),
                ("POST", "/v1/identities/\(idn)/privilege/apply", #"{"keys":[{"key_id":"nope"}]}"#, 422),
                ("POST", "/v1/identities/\(idn)/privilege/apply", #"{"keys":[{"key_id":"\#(idle.id)"}]}"#, 409),
                ("POST", "/v1/identities/\(idn)/privilege/apply", #"{"keys":"x"}"#, 400),
            ] as [(String, String, String?, Int)] {
                let reply = try await s.request(method, path, body: body)
                #expect(reply.status == status, "\(method) \(path) \(body ?? ""): \(reply.status) \(reply.text)")
            }
            #expect(try await s.anonymous("GET", "/v1/keys/dormant").status == 401)
            // Keyward's own keys: their management checks record no use, so nothing is inferred.
            let own = try await s.request("GET", "/v1/identities/idn_00000000000000000000000000000000/privilege").decode(IdentityPrivilegeResponse.self)
            #expect(!own.keys.isEmpty && own.keys.allSatisfy { $0.basis == "not_tracked" && $0.proposedScopes == nil })
            #expect(try await s.leakReport().isEmpty)
        }
    }
}
