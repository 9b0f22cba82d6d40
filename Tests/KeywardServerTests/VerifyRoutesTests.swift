import Foundation
import KeywardCore
import KeywardTesting
import KeywardServer
import NIOHTTP1
import KeywardStore
import KeywardVerify
import Testing

@Suite("Verify: one test per reason")
struct VerifyRoutesTests {
    @Test("200 valid:true with key, version, identity, scopes and expiry")
    func valid() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, scopes: ["payments:read", "payments:write"])
            let v = try await s.verify(key, scopes: ["payments:read"])
            #expect(v["valid"] as? Bool == true)
            #expect(v["key_id"] as? String == id)
            #expect(v["identity_id"] as? String == idn)
            #expect(v["version"] as? Int == 1)
            #expect(v["scopes"] as? [String] == ["payments:read", "payments:write"])
            #expect(v["expires_at"] is String)
            #expect(v["reason"] == nil)
        }
    }

    // case 54 of docs/security-cases.md: decided with no index lookup.
    @Test("200 valid:false reason=malformed for a bad checksum, with no index lookup")
    func malformed() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            var chars = Array(key)
            chars[45] = chars[45] == "a" ? "b" : "a"
            let before = s.runtime.index.lookups
            let v = try await s.verify(String(chars))
            #expect(v["valid"] as? Bool == false)
            #expect(v["reason"] as? String == "malformed")
            #expect(v["key_id"] == nil)
            // The bearer check does one lookup; the malformed key none.
            #expect(s.runtime.index.lookups - before == 1)
        }
    }

    // case 55 of docs/security-cases.md: no normalisation.
    @Test("trailing space, changed case and Unicode look-alikes are malformed, never matched")
    func variants() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            for bad in [key + " ", " " + key, key.uppercased(), key.lowercased(), key.replacingOccurrences(of: "kw_live_", with: "kw_l\u{0456}ve_"),
                        String(key.dropLast()) + "\u{FF21}", key + "\u{200B}"] {
                let v = try await s.verify(bad)
                #expect(v["valid"] as? Bool == false)
                #expect(v["reason"] as? String == "malformed")
            }
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("200 valid:false reason=not_found for a checksum-valid unknown key")
    func notFound() async throws {
        try await TestServer.with { s in
            let v = try await s.verify(APIKeyFormat.generate(environment: .live).reveal())
            #expect(v["valid"] as? Bool == false)
            #expect(v["reason"] as? String == "not_found")
        }
    }

    @Test("200 valid:false reason=expired after the expiry")
    func expired() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, ttl: 600)
            #expect(try await s.verify(key)["valid"] as? Bool == true)
            clock.advance(by: 601)
            let v = try await s.verify(key)
            #expect(v["reason"] as? String == "expired")
            #expect(v["key_id"] as? String == id)
            #expect(try await s.request("GET", "/v1/keys/\(id)").json()["status"] as? String == "expired")
        }
    }

    @Test("200 valid:false reason=revoked on the very next verify after a revoke, for every version")
    func revoked() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, v1) = try await s.issueKey(identity: idn)
            let rot = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":3600}"#, issuing: true)
            let v2 = try #require(rot.json()["key"] as? String)
            s.ledger.record(v2)
            let r = try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"laptop stolen"}"#)
            #expect(r.status == 200)
            #expect(r.json()["status"] as? String == "revoked")
            for k in [v1, v2] { #expect(try await s.verify(k)["reason"] as? String == "revoked") }
            #expect(try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"again"}"#).status == 409)
            #expect(try await s.request("POST", "/v1/keys/\(id)/rotate").status == 409)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    // case 53 of docs/security-cases.md.
    @Test("rotate keeps the id, bumps the version; the old version is valid in the grace window, then rotated")
    func rotated() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity()
            let (id, v1) = try await s.issueKey(identity: idn, ttl: 86_400)
            let rot = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":300}"#, issuing: true)
            #expect(rot.status == 200)
            #expect(rot.json()["id"] as? String == id)
            #expect(rot.json()["version"] as? Int == 2)
            let v2 = try #require(rot.json()["key"] as? String)
            s.ledger.record(v2)
            #expect(v2 != v1)
            let during = try await s.verify(v1)
            #expect(during["valid"] as? Bool == true)
            #expect(during["version"] as? Int == 1)
            clock.advance(by: 301)
            let after = try await s.verify(v1)
            #expect(after["valid"] as? Bool == false)
            #expect(after["reason"] as? String == "rotated")
            #expect(after["key_id"] as? String == id)
            #expect(try await s.verify(v2)["valid"] as? Bool == true)
            // Usage during the grace window was recorded for the key.
            await s.flushUsage()
            let show = try await s.request("GET", "/v1/keys/\(id)")
            #expect((show.json()["usage"] as? [String: Int])?["rotated"] == 1)
            #expect((show.json()["usage"] as? [String: Int])?["valid"] == 2)
            let states = (show.json()["versions"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
            #expect(states == ["rotated", "current"])
            // Grace beyond the policy maximum is refused.
            #expect(try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":99999999}"#).status == 422)
        }
    }

    @Test("200 valid:false reason=insufficient_scope when a required scope is missing")
    func insufficientScope() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            let v = try await s.verify(key, scopes: ["payments:read", "payments:write"])
            #expect(v["valid"] as? Bool == false)
            #expect(v["reason"] as? String == "insufficient_scope")
        }
    }

    @Test("200 valid:false reason=environment_mismatch for a kw_test_ key on a live-only verifier")
    func environmentMismatch() async throws {
        try await TestServer.with(configure: { $0.verifier.acceptedEnvironments = [.live] }) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn, environment: "test")
            let v = try await s.verify(key)
            #expect(v["valid"] as? Bool == false)
            #expect(v["reason"] as? String == "environment_mismatch")
        }
    }

    @Test("verify records usage in batches: last_used_at, outcome counters and sources, no audit rows")
    func usage() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn)
            let head = try await s.runtime.store.auditHead().seq
            for _ in 0..<5 {
                let body = "{\"key\":\"\(key)\",\"source\":{\"ip\":\"10.1.2.3\",\"user_agent\":\"billing/1.2\",\"client_cert_subject\":\"CN=billing\"}}"
                #expect(try await s.request("POST", "/v1/keys/verify", body: body).status == 200)
            }
            _ = try await s.verify(key, scopes: ["nope:x"])
            await s.flushUsage()
            let show = try await s.request("GET", "/v1/keys/\(id)")
            #expect(show.json()["last_used_at"] is String)
            #expect((show.json()["usage"] as? [String: Int]) == ["valid": 5, "insufficient_scope": 1])
            let usage = try await s.runtime.store.usage(of: try #require(KeyID(id)))
            #expect(usage.sources.contains { $0.ip == "10.1.2.3" && $0.userAgent == "billing/1.2" && $0.count == 5 })
            #expect(try await s.runtime.store.auditHead().seq == head)
        }
    }
}
