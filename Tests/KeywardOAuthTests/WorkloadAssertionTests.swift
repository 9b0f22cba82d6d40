import Foundation
import KeywardOAuth
import Testing

/// Workload federation's checks as values (work in progress: the grant and the registration routes
/// are not built yet). Keys are made at test time; times are fixed.
@Suite("OAuth: workload federation (RFC 7523 jwt-bearer) as values")
struct WorkloadAssertionTests {
    static let issuer = "https://token.actions.example"
    static let subject = "repo:acme/billing:ref:refs/heads/main"

    static func trust(_ key: TestKey, claims: [String: String] = [:]) throws -> WorkloadTrust {
        try WorkloadTrust.validated(issuer: issuer, jwksJSON: #"{"keys":[\#(key.jwkJSON())]}"#, subject: subject, audience: "keyward", claims: claims)
    }

    static func token(_ key: TestKey, _ overrides: [String: Any?] = [:], header: [String: Any] = [:]) -> String {
        var c: [String: Any] = ["iss": issuer, "sub": subject, "aud": ["keyward", "other"], "iat": Int(testNow.timeIntervalSince1970),
                                "exp": Int(testNow.timeIntervalSince1970) + 300, "jti": "run-1", "ref": "refs/heads/main"]
        for (k, v) in overrides { if let v { c[k] = v } else { c.removeValue(forKey: k) } }
        var h: [String: Any] = ["alg": key.alg.rawValue, "kid": "k1"]
        h.merge(header) { $1 }
        return key.jws(header: json(h), payload: json(c))
    }

    static func check(_ token: String, _ trust: WorkloadTrust) throws(JOSEError) -> ValidatedWorkloadAssertion {
        let (iss, jws) = try WorkloadAssertion.inspect(token)
        guard iss == trust.issuer else { throw JOSEError("another issuer") }
        return try WorkloadAssertion.verify(jws, trust: trust, now: testNow)
    }

    @Test("a workload token from the trusted issuer, for the trusted subject and audience, passes; the claim condition must hold")
    func accepted() throws {
        let key = TestKey.es256()
        let v = try Self.check(Self.token(key), try Self.trust(key, claims: ["ref": "refs/heads/main"]))
        #expect(v.subject == Self.subject && v.jti == "run-1")
        #expect(throws: JOSEError.self) { try Self.check(Self.token(key, ["ref": "refs/heads/feature"]), try Self.trust(key, claims: ["ref": "refs/heads/main"])) }
    }

    @Test("refused: another subject, the audience missing, another key, expired, too long-lived, issued in the future, a jku header")
    func refused() throws {
        let key = TestKey.es256()
        let trust = try Self.trust(key)
        let bad: [String] = [
            Self.token(key, ["sub": "repo:acme/billing:ref:refs/heads/evil"]),
            Self.token(key, ["aud": "other"]),
            Self.token(TestKey.es256()),
            Self.token(key, ["exp": Int(testNow.timeIntervalSince1970) - 61]),
            Self.token(key, ["exp": Int(testNow.timeIntervalSince1970) + 30 * 86_400]),
            Self.token(key, ["iat": Int(testNow.timeIntervalSince1970) + 61]),
            Self.token(key, header: ["jku": "https://attacker.example/jwks"]),
        ]
        for t in bad { #expect(throws: JOSEError.self) { try Self.check(t, trust) } }
    }

    @Test("a trust with a wildcard subject, no audience, a plain-http issuer (off loopback) or a reserved claim condition is refused at registration")
    func registration() {
        let key = TestKey.es256()
        let jwks = #"{"keys":[\#(key.jwkJSON())]}"#
        #expect(throws: JOSEError.self) { try WorkloadTrust.validated(issuer: Self.issuer, jwksJSON: jwks, subject: "repo:acme/*", audience: "keyward") }
        #expect(throws: JOSEError.self) { try WorkloadTrust.validated(issuer: Self.issuer, jwksJSON: jwks, subject: Self.subject, audience: "") }
        #expect(throws: JOSEError.self) { try WorkloadTrust.validated(issuer: "http://ci.example", jwksJSON: jwks, subject: Self.subject, audience: "keyward") }
        #expect(throws: JOSEError.self) { try WorkloadTrust.validated(issuer: Self.issuer, jwksJSON: jwks, subject: Self.subject, audience: "keyward", claims: ["sub": "x"]) }
        #expect((try? WorkloadTrust.validated(issuer: "http://127.0.0.1:8443", jwksJSON: jwks, subject: Self.subject, audience: "keyward")) != nil)
    }
}
