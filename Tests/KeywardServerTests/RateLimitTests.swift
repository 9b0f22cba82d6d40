import Foundation
import KeywardCore
import KeywardServer
import KeywardTesting
import NIOHTTP1
import Testing

/// Issue 14: rate limits as identity controls, over the socket. Limits are set small through the
/// API (a key's or identity's own `rate_limit`) or the policy, so a handful of requests exhaust
/// them; nothing waits for a limit to refill (the next slot is checked by its `retry_after`).
@Suite("Rate limits: per key, identity, source and failure, on verify and on Keyward's own routes")
struct RateLimitTests {
    static func body(_ key: String, ip: String? = nil) -> String {
        var obj: [String: Any] = ["key": key]
        if let ip { obj["source"] = ["ip": ip] }
        return String(decoding: try! JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
    }

    static func details(_ json: String) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: String] ?? [:]
    }

    static func verify(_ s: TestServer, _ key: String, ip: String? = nil) async throws -> [String: Any] {
        let r = try await s.request("POST", "/v1/keys/verify", body: body(key, ip: ip))
        #expect(r.status == 200, "\(r.text)")
        return r.json()
    }

    @Test("a key's own limit: burst admitted with a falling remaining, then rate_limited with retry_after; usage and metrics count it; PATCH back to the policy lifts it")
    func keyLimit() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (kid, key) = try await s.issueKey(identity: idn, extra: ["rate_limit": ["limit": 3, "period_seconds": 3600]])
            var remaining: [Int] = []
            for _ in 0..<3 {
                let v = try await Self.verify(s, key)
                #expect(v["valid"] as? Bool == true)
                remaining.append((v["ratelimit"] as? [String: Any])?["remaining"] as? Int ?? -1)
            }
            #expect(remaining == [2, 1, 0])
            let refused = try await Self.verify(s, key)
            #expect(refused["valid"] as? Bool == false)
            #expect(refused["reason"] as? String == "rate_limited")
            #expect(refused["key_id"] as? String == kid, "the refusal still says whose key it was")
            let rl = try #require(refused["ratelimit"] as? [String: Any])
            #expect(rl["limit"] as? Int == 3)
            #expect(rl["remaining"] as? Int == 0)
            // One request per 1200 s: the next slot opens within that, never later.
            let retry = try #require(rl["retry_after"] as? Int)
            #expect(retry >= 1 && retry <= 1_200)
            #expect(refused["scopes"] == nil)

            await s.flushUsage()
            let shown = try await s.request("GET", "/v1/keys/\(kid)")
            #expect((shown.json()["usage"] as? [String: Any])?["rate_limited"] as? Int == 1)
            #expect((shown.json()["rate_limit"] as? [String: Any])?["limit"] as? Int == 3)
            let metrics = try await s.anonymous("GET", "/metrics")
            #expect(metrics.text.contains("keyward_ratelimit_refused_total{limit=\"key\"} 1"))

            let patched = try await s.request("PATCH", "/v1/keys/\(kid)", body: #"{"rate_limit":null}"#)
            #expect(patched.status == 200, "\(patched.text)")
            #expect(patched.json()["rate_limit"] == nil)
            #expect(try await Self.verify(s, key)["valid"] as? Bool == true)
            let audit = try await s.auditRecords().filter { $0.action == "key.updated" }
            #expect(audit.map { Self.details($0.details)["rate_limit"] } == ["policy"])
        }
    }

    @Test("an identity's limit is shared by all its keys; another identity is untouched")
    func identityLimit() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity(name: "shared")
            let patched = try await s.request("PATCH", "/v1/identities/\(idn)", body: #"{"rate_limit":{"limit":4,"period_seconds":3600}}"#)
            #expect(patched.status == 200, "\(patched.text)")
            #expect((patched.json()["rate_limit"] as? [String: Any])?["burst"] as? Int == 4)
            let a = try await s.issueKey(identity: idn).key, b = try await s.issueKey(identity: idn).key
            let other = try await s.issueKey(identity: try await s.createIdentity(name: "other")).key
            var valid = 0
            for key in [a, b, a, b, a, b] where try await Self.verify(s, key)["valid"] as? Bool == true { valid += 1 }
            #expect(valid == 4)
            let refused = try await Self.verify(s, b)
            #expect(refused["reason"] as? String == "rate_limited")
            #expect(refused["identity_id"] as? String == idn)
            #expect(try await Self.verify(s, other)["valid"] as? Bool == true)
            let audit = try await s.auditRecords().filter { $0.action == "identity.updated" }
            #expect(audit.last.map { Self.details($0.details)["rate_limit"] } == "4/3600s burst 4")
        }
    }

    @Test("the source limit applies across keys from one reported address, and not to another address")
    func sourceLimit() async throws {
        try await TestServer.with(configure: { try! $0.rateLimits.apply("source=2/3600") }) { s in
            let idn = try await s.createIdentity()
            let a = try await s.issueKey(identity: idn).key, b = try await s.issueKey(identity: idn).key
            #expect(try await Self.verify(s, a, ip: "198.51.100.7")["valid"] as? Bool == true)
            #expect(try await Self.verify(s, b, ip: "198.51.100.7")["valid"] as? Bool == true)
            let refused = try await Self.verify(s, a, ip: "198.51.100.7")
            #expect(refused["reason"] as? String == "rate_limited")
            #expect(try await Self.verify(s, a, ip: "198.51.100.8")["valid"] as? Bool == true)
            // Without a reported source nothing is charged to one.
            #expect(try await Self.verify(s, b)["valid"] as? Bool == true)
        }
    }

    // case 66 of docs/security-cases.md, at verify
    @Test("case 66: a flood of bad credentials aimed at one identity from one source exhausts that source's failure bucket only; the identity's traffic from its own source is unaffected")
    func failureBucketAtVerify() async throws {
        try await TestServer.with(configure: { try! $0.rateLimits.apply("failure=5/3600") }) { s in
            let victim = try await s.createIdentity(name: "victim")
            let good = try await s.issueKey(identity: victim).key
            let (oldID, old) = try await s.issueKey(identity: victim)
            _ = try await s.request("POST", "/v1/keys/\(oldID)/revoke", body: #"{"reason":"test"}"#)
            var answers: [String] = []
            for _ in 0..<20 { answers.append(try await Self.verify(s, old, ip: "203.0.113.66")["reason"] as? String ?? "valid") }
            #expect(answers.prefix(5).allSatisfy { $0 == "revoked" })
            #expect(answers.dropFirst(5).allSatisfy { $0 == "rate_limited" })
            // The attacker's address is now refused even with the victim's good key; the victim's own is not.
            #expect(try await Self.verify(s, good, ip: "203.0.113.66")["reason"] as? String == "rate_limited")
            for _ in 0..<10 { #expect(try await Self.verify(s, good, ip: "192.0.2.10")["valid"] as? Bool == true) }
            // Unknown keys from one address fill that address's own bucket, not any identity's.
            let guesses = (0..<8).map { _ in APIKeyFormat.generate(environment: .live).reveal() }
            var guessed: [String] = []
            for g in guesses { guessed.append(try await Self.verify(s, g, ip: "203.0.113.99")["reason"] as? String ?? "?") }
            #expect(guessed.prefix(5).allSatisfy { $0 == "not_found" })
            #expect(guessed.dropFirst(5).allSatisfy { $0 == "rate_limited" })
            #expect(try await Self.verify(s, good, ip: "192.0.2.10")["valid"] as? Bool == true)
        }
    }

    // case 67 of docs/security-cases.md
    @Test("case 67: stepping the wall clock an hour forward grants no burst, an hour back locks no one out")
    func wallClockSteps() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity()
            let key = try await s.issueKey(identity: idn, extra: ["rate_limit": ["limit": 2, "period_seconds": 7200]]).key
            for _ in 0..<2 { #expect(try await Self.verify(s, key)["valid"] as? Bool == true) }
            clock.advance(by: 3_600)
            let after = try await Self.verify(s, key)
            #expect(after["reason"] as? String == "rate_limited", "a wall-clock limiter would have refilled half the limit")
            clock.advance(by: -7_200)
            let back = try await Self.verify(s, key)
            #expect(back["reason"] as? String == "rate_limited")
            // The wait is the limit's own (one slot per hour), not an hour plus the step.
            let retry = try #require((back["ratelimit"] as? [String: Any])?["retry_after"] as? Int)
            #expect(retry <= 3_600)
        }
    }

    @Test("Keyward's own routes: 429 problem+json with Retry-After and the RateLimit headers; failed bearer checks fill the address's failure bucket")
    func ownRoutes() async throws {
        try await TestServer.with(configure: { try! $0.rateLimits.apply("routes=5/3600,failure=3/3600") }) { s in
            var statuses: [Int] = []
            var last: TestServer.Reply?
            for _ in 0..<7 {
                let r = try await s.request("GET", "/v1/identities")
                statuses.append(r.status)
                last = r
            }
            #expect(statuses == [200, 200, 200, 200, 200, 429, 429])
            let r = try #require(last)
            #expect(r.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(r.json()["type"] as? String == "urn:keyward:error:request:rate_limited")
            let retry = try #require(Int(r.headers.first(name: "Retry-After") ?? ""))
            #expect(retry >= 1 && retry <= 720)
            #expect(r.headers.first(name: "RateLimit-Policy") == "\"routes\";q=5;w=3600")
            #expect(r.headers.first(name: "RateLimit")?.hasPrefix("\"routes\";r=0;t=") == true)
            // Probes, metrics and verify are not charged to the routes limit.
            #expect(try await s.anonymous("GET", "/healthz").status == 200)
            #expect(try await s.anonymous("GET", "/metrics").text.contains("keyward_ratelimit_refused_total{limit=\"routes\"} 2"))
        }
        try await TestServer.with(configure: { try! $0.rateLimits.apply("failure=3/3600") }) { s in
            var statuses: [Int] = []
            for _ in 0..<5 { statuses.append(try await s.request("GET", "/v1/identities", token: "kw_live_wrong").status) }
            #expect(statuses == [401, 401, 401, 429, 429])
            // The address is refused now, even with the admin key: a guesser cannot try the next one.
            let admin = try await s.request("GET", "/v1/identities")
            #expect(admin.status == 429)
            #expect(admin.json()["detail"] as? String == "too many failed attempts from this address; retry in \(admin.headers.first(name: "Retry-After") ?? "?") s")
        }
    }

    @Test("bad rate_limit values are 422 naming the ranges; a revoked key's limit cannot change; limits off changes nothing")
    func badInput() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (kid, _) = try await s.issueKey(identity: idn)
            for bad in [#"{"rate_limit":{"limit":0,"period_seconds":60}}"#, #"{"rate_limit":{"limit":5,"period_seconds":86401}}"#,
                        #"{"rate_limit":{"limit":5,"period_seconds":60,"burst":-1}}"#, #"{"rate_limit":"fast"}"#, "{}"] {
                let r = try await s.request("PATCH", "/v1/keys/\(kid)", body: bad)
                #expect((400..<500).contains(r.status), "\(bad): \(r.status)")
                #expect(r.headers.first(name: "Content-Type") == "application/problem+json")
            }
            let r = try await s.request("PATCH", "/v1/keys/\(kid)", body: #"{"rate_limit":{"limit":0,"period_seconds":60}}"#)
            #expect(r.status == 422)
            #expect((r.json()["detail"] as? String)?.contains("limit 1 to 1000000") == true)
            _ = try await s.request("POST", "/v1/keys/\(kid)/revoke", body: #"{"reason":"done"}"#)
            #expect(try await s.request("PATCH", "/v1/keys/\(kid)", body: #"{"rate_limit":{"limit":1,"period_seconds":60}}"#).status == 409)
        }
        try await TestServer.with(configure: { try! $0.rateLimits.apply("off") }) { s in
            let key = try await s.issueKey(identity: try await s.createIdentity(), extra: ["rate_limit": ["limit": 1, "period_seconds": 3600]]).key
            for _ in 0..<3 {
                let v = try await Self.verify(s, key)
                #expect(v["valid"] as? Bool == true)
                #expect(v["ratelimit"] == nil)
            }
        }
    }
}
