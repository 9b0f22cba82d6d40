import Foundation
import KeywardOAuth

/// Client assertions for client `cl_1` at the authorization server https://as.example.
enum AssertionFixture {
    static let issuer = "https://as.example"
    static let tokenEndpoint = "https://as.example/oauth/token"
    static let clientID = "cl_1"
    static let requirements = AssertionRequirements(audiences: [issuer, tokenEndpoint])

    /// Header {alg, kid?, typ: JWT} plus `extra`.
    static func header(_ key: TestKey, kid: String? = "k1", _ extra: [String: Any] = [:]) -> String {
        var h: [String: Any] = ["alg": key.alg.rawValue, "typ": "JWT"]
        if let kid { h["kid"] = kid }
        h.merge(extra) { $1 }
        return json(h)
    }

    /// Valid claims at `now`, then `overrides` (a nil value removes the claim).
    static func claims(_ overrides: [String: Any?] = [:], now: Date = testNow) -> String {
        var c: [String: Any] = ["iss": clientID, "sub": clientID, "aud": tokenEndpoint, "iat": Int(now.timeIntervalSince1970),
                                "exp": Int(now.timeIntervalSince1970) + 120, "jti": UUID().uuidString]
        for (name, value) in overrides {
            if let value { c[name] = value } else { c.removeValue(forKey: name) }
        }
        return json(c)
    }

    static func make(_ key: TestKey, kid: String? = "k1", header extra: [String: Any] = [:], claims overrides: [String: Any?] = [:]) -> String {
        key.jws(header: header(key, kid: kid, extra), payload: claims(overrides))
    }

    /// inspect, then verify against `keys`.
    static func check(_ assertion: String, keys: [PublicJWK], formClientID: String? = clientID, now: Date = testNow) throws(JOSEError) -> ValidatedAssertion {
        let unverified = try ClientAssertion.inspect(assertion, formClientID: formClientID)
        return try ClientAssertion.verify(unverified, keys: keys, requirements: requirements, now: now)
    }
}
