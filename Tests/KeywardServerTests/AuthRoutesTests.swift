import Foundation
import KeywardTesting
import KeywardCore
import KeywardServer
import NIOHTTP1
import KeywardStore
import KeywardVerify
import Testing

@Suite("Management access")
struct AuthRoutesTests {
    @Test("401 problem+json without a key, with a wrong key, a malformed key, or a customer's key")
    func unauthorized() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, customer) = try await s.issueKey(identity: idn)
            let fake = "kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T"
            for token: String?? in [.none, .some(fake), .some("nonsense"), .some(customer), .some("")] {
                let r = try await s.request("GET", "/v1/identities", token: token)
                #expect(r.status == 401)
                #expect(r.headers["Content-Type"].first == "application/problem+json")
                #expect(r.json()["type"] as? String == "urn:keyward:error:auth:unauthorized")
                #expect(r.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
            }
            let basic = try await s.request("GET", "/v1/identities", token: .none, headers: [("Authorization", "Basic YTpi")])
            #expect(basic.status == 401)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("403 for a management key without the needed scope; admin implies every scope")
    func forbidden() async throws {
        try await TestServer.with { s in
            let (_, reader) = try await s.issueKey(identity: "idn_00000000000000000000000000000000", scopes: ["keyward:read"])
            let (_, verifier) = try await s.issueKey(identity: "idn_00000000000000000000000000000000", scopes: ["keyward:verify"])
            #expect(try await s.request("GET", "/v1/identities", token: .some(reader)).status == 200)
            let w = try await s.request("POST", "/v1/identities", body: #"{"name":"x","kind":"service","environment":"prod"}"#, token: .some(reader))
            #expect(w.status == 403)
            #expect(w.json()["type"] as? String == "urn:keyward:error:auth:forbidden")
            #expect(try await s.request("GET", "/v1/keys", token: .some(verifier)).status == 403)
            let v = try await s.request("POST", "/v1/keys/verify", body: #"{"key":"x"}"#, token: .some(verifier))
            #expect(v.status == 200)
            #expect(try await s.request("POST", "/v1/keys/verify", body: #"{"key":"x"}"#, token: .some(reader)).status == 403)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("no customer identity can hold a keyward: scope")
    func reservedScopes() async throws {
        try await TestServer.with { s in
            let r = try await s.request("POST", "/v1/identities", body: #"{"name":"sneaky","kind":"service","environment":"prod","allowed_scopes":["keyward:admin"]}"#)
            #expect(r.status == 422)
            #expect(r.json()["rule"] as? String == "scopes.reserved_namespace")
            let idn = try await s.createIdentity()
            let k = try await s.request("POST", "/v1/keys", body: "{\"identity_id\":\"\(idn)\",\"scopes\":[\"keyward:admin\"],\"environment\":\"live\"}")
            #expect(k.status == 422)
            #expect(k.json()["rule"] as? String == "scopes.reserved_namespace")
            let p = try await s.request("PATCH", "/v1/identities/\(idn)", body: #"{"allowed_scopes":["keyward:read"]}"#)
            #expect(p.status == 422)
        }
    }

    @Test("/healthz, /metrics and /openapi.yaml need no key")
    func openRoutes() async throws {
        try await TestServer.with { s in
            let h = try await s.anonymous("GET", "/healthz")
            #expect(h.status == 200)
            #expect(h.text == #"{"status":"ok"}"#)
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            _ = try await s.verify(key)
            _ = try await s.verify("kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T")
            let m = try await s.anonymous("GET", "/metrics")
            #expect(m.status == 200)
            #expect(m.text.contains(#"keyward_verify_total{outcome="valid"} 1"#))
            #expect(m.text.contains(#"keyward_verify_total{outcome="not_found"} 1"#))
            #expect(m.text.contains("keyward_verify_duration_seconds_bucket"))
            #expect(m.text.contains(#"keyward_keys{status="active"} 2"#))
            let o = try await s.anonymous("GET", "/openapi.yaml")
            #expect(o.status == 200)
            #expect(o.text.hasPrefix("openapi:"))
        }
    }
}
