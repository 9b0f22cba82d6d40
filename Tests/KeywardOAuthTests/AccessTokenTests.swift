import Crypto
import Foundation
import KeywardCore
import KeywardOAuth
import Testing

/// RFC 9068 access tokens: mint, verify, and the ways a token must fail.
@Suite("OAuth: RFC 9068 access tokens")
struct AccessTokenTests {
    static func claims(_ cnf: TokenConfirmation? = .jkt("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")) -> AccessTokenClaims {
        AccessTokenClaims(issuer: "https://as.example", subject: "cl_1", clientID: "cl_1", audience: "https://api.example",
                          scope: ["payments:read", "payments:write"], issuedAt: testNow, expiresAt: testNow + 300, jti: "tok_1", confirmation: cnf)
    }

    @Test("Round trip: a minted token verifies to the same claims, for jkt, x5t#S256 and no confirmation")
    func roundTrip() throws {
        let key = TokenSigningKey(kid: "sk1", privateKey: P256.Signing.PrivateKey())
        for cnf in [TokenConfirmation.jkt("abc"), .x5tS256("def"), nil] {
            let token = AccessToken.mint(Self.claims(cnf), key: key)
            #expect(AccessToken.looksLikeAccessToken(token))
            let back = try AccessToken.verify(token, publicKey: { $0 == "sk1" ? key.privateKey.publicKey : nil }, now: testNow)
            #expect(back == Self.claims(cnf))
        }
    }

    @Test("The minted header and claims are RFC 9068's: typ at+jwt, ES256, kid; integer iat/exp; space-joined scope; cnf")
    func shape() throws {
        let key = TokenSigningKey(kid: "sk1", privateKey: P256.Signing.PrivateKey())
        let jws = try CompactJWS.parse(AccessToken.mint(Self.claims(.x5tS256("t")), key: key))
        #expect(jws.header == ["typ": .string("at+jwt"), "alg": .string("ES256"), "kid": .string("sk1")])
        #expect(jws.payload["scope"] == .string("payments:read payments:write"))
        #expect(jws.payload["exp"] == .number(testNow.timeIntervalSince1970 + 300) && jws.payload["client_id"] == .string("cl_1"))
        #expect(jws.payload["cnf"] == .object(["x5t#S256": .string("t")]) && jws.signature.count == 64)
        #expect(key.publicJWK.alg == .es256 && key.publicJWK.kid == "sk1" && key.publicJWK.use == "sig")
        #expect(key.publicJWK.verify(signature: jws.signature, signingInput: jws.signingInput, alg: .es256))
        // The published JWK reads back as the same public key (what /.well-known/jwks.json serves).
        #expect(try PublicJWK.parse(json: key.publicJWK.publicJSON) == key.publicJWK)
        #expect(!key.publicJWK.publicJSON.contains("\"d\""))
    }

    @Test("Tampered claims, an expired token, an unknown kid and another key's signature all fail")
    func failures() throws {
        let key = TokenSigningKey(kid: "sk1", privateKey: P256.Signing.PrivateKey())
        let lookup: (String) -> P256.Signing.PublicKey? = { $0 == "sk1" ? key.privateKey.publicKey : nil }
        let token = AccessToken.mint(Self.claims(), key: key)
        let parts = token.split(separator: ".").map(String.init)
        let widened = b64(String(decoding: Base64URL.decode(parts[1])!, as: UTF8.self).replacingOccurrences(of: "payments:read", with: "payments:admin"))
        #expect(throws: JOSEError.badSignature) { try AccessToken.verify(parts[0] + "." + widened + "." + parts[2], publicKey: lookup, now: testNow) }
        #expect(throws: JOSEError.self) { try AccessToken.verify(token, publicKey: lookup, now: testNow + 300) }
        #expect(throws: JOSEError.unknownKeyID) { try AccessToken.verify(token, publicKey: { _ in nil }, now: testNow) }
        let other = P256.Signing.PrivateKey().publicKey
        #expect(throws: JOSEError.badSignature) { try AccessToken.verify(token, publicKey: { _ in other }, now: testNow) }
        _ = try AccessToken.verify(token, publicKey: lookup, now: testNow + 299)
    }

    @Test("An assertion or a DPoP proof is no access token: typ is checked, and looksLikeAccessToken routes only at+jwt")
    func otherTypes() {
        let es = TestKey.es256()
        guard case .p256(let p) = es.material else { return }
        let assertion = AssertionFixture.make(es, kid: "sk1")
        #expect(!AccessToken.looksLikeAccessToken(assertion))
        #expect(throws: JOSEError.self) { try AccessToken.verify(assertion, publicKey: { _ in p.publicKey }, now: testNow) }
        for text in ["kw_live_abc", "", "a.b.c", "....", b64(#"{"typ":"at+jwt"}"#)] {
            #expect(!AccessToken.looksLikeAccessToken(text), "\(text)")
        }
        #expect(AccessToken.looksLikeAccessToken(b64(#"{"typ":"at+jwt","alg":"ES256"}"#) + ".e30.AAAA"))
    }

    @Test("token ids issued later sort later, ids issued in the same millisecond all differ, and each is an ordinary atk_ id")
    func orderedIDs() {
        let t = Date(timeIntervalSince1970: 1_790_000_000.123)
        let later = AccessTokenID.ordered(at: t.addingTimeInterval(0.002))
        let same = (0..<10_000).map { _ in AccessTokenID.ordered(at: t) }
        #expect(Set(same).count == same.count)
        #expect(same.allSatisfy { $0 < later })
        #expect(AccessTokenID.ordered(at: t.addingTimeInterval(3_600)) > later)
        #expect(same.allSatisfy { AccessTokenID($0.description) == $0 && $0.description.hasPrefix("atk_") })
    }
}
