import Crypto
import Foundation
import KeywardOAuth
import Testing
import _CryptoExtras

/// RFC 7523 client assertions: the SECURITY-CASES rows on `private_key_jwt`, each by number.
@Suite("OAuth: private_key_jwt client assertions (RFC 7523)")
struct ClientAssertionTests {
    typealias F = AssertionFixture

    @Test("Positive controls: an ES256, EdDSA, RS256 and PS256 assertion each verify, naming the client, jti, exp and key")
    func positives() throws {
        for key in [TestKey.es256(), .edDSA(), .rs256(), .ps256()] {
            let exp = Int(testNow.timeIntervalSince1970) + 200
            let a = F.make(key, claims: ["jti": "j-\(key.alg.rawValue)", "exp": exp])
            let v = try F.check(a, keys: [TestKey.es256().publicJWK(kid: "other"), key.publicJWK()])
            #expect(v.clientID == F.clientID && v.jti == "j-\(key.alg.rawValue)")
            #expect(v.expiresAt == Date(timeIntervalSince1970: TimeInterval(exp)))
            #expect(v.keyThumbprint == key.publicJWK().thumbprint)
        }
    }

    @Test("Without a kid each key with the assertion's alg is tried; aud as the issuer or a one-element array is accepted")
    func noKidAndAudienceShapes() throws {
        let key = TestKey.es256()
        let keys = [TestKey.es256().publicJWK(kid: "a"), key.publicJWK(kid: "b")]
        #expect(try F.check(F.make(key, kid: nil), keys: keys).keyThumbprint == keys[1].thumbprint)
        _ = try F.check(F.make(key, kid: "b", claims: ["aud": F.issuer]), keys: keys)
        _ = try F.check(F.make(key, kid: "b", claims: ["aud": [F.tokenEndpoint]]), keys: keys)
        _ = try F.check(F.make(key, kid: "b"), keys: keys, formClientID: nil)
    }

    @Test("case 1: alg none with an empty signature is refused, whatever its case")
    func case1AlgNone() {
        let payload = b64(F.claims())
        for alg in ["none", "None", "NONE"] {
            let unsigned = b64(json(["alg": alg, "typ": "JWT"])) + "." + payload + "."
            #expect(throws: JOSEError.algorithmRefused) { try F.check(unsigned, keys: [TestKey.es256().publicJWK()]) }
        }
    }

    @Test("case 2: HS256 signed with the RSA or EC public key's PEM, DER or JWK bytes as the secret is refused (no HMAC path exists)")
    func case2HMACWithPublicKey() throws {
        let rsa = TestKey.rs256(), ec = TestKey.es256()
        guard case .rsa(let rsaPrivate) = rsa.material, case .p256(let ecPrivate) = ec.material else { return }
        let secrets: [[UInt8]] = [
            Array(rsaPrivate.publicKey.pemRepresentation.utf8), Array(rsaPrivate.publicKey.derRepresentation), Array(rsa.jwkJSON().utf8),
            Array(ecPrivate.publicKey.pemRepresentation.utf8), Array(ecPrivate.publicKey.derRepresentation), Array(ec.jwkJSON().utf8),
        ]
        let keys = [rsa.publicJWK(), ec.publicJWK(kid: "k2")]
        for secret in secrets {
            for (alg, kid) in [("HS256", "k1"), ("RS256", "k1"), ("ES256", "k2")] {
                let input = b64(json(["alg": alg, "kid": kid, "typ": "JWT"])) + "." + b64(F.claims())
                let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
                let forged = input + "." + Base64URL.encode(Array(mac))
                // HS256 never passes inspect; the same MAC under an asymmetric alg fails the signature check.
                #expect(throws: alg == "HS256" ? JOSEError.algorithmRefused : JOSEError.badSignature) { try F.check(forged, keys: keys) }
            }
        }
    }

    @Test("case 3: aud naming another AS or another tenant's token endpoint is refused")
    func case3OtherAudience() {
        let key = TestKey.es256()
        for aud in ["https://other-as.example", "https://as.example/tenant-b/oauth/token", "https://as.example/oauth/token/", "HTTPS://AS.EXAMPLE"] {
            #expect(throws: JOSEError.audience) { try F.check(F.make(key, claims: ["aud": aud]), keys: [key.publicJWK()]) }
        }
    }

    @Test("case 4: aud [ours, attacker], [], null, a number or [ours, ours] all fail with the same reason")
    func case4AudienceShapes() {
        let key = TestKey.es256()
        let shapes: [Any] = [[F.tokenEndpoint, "https://attacker.example"], [String](), NSNull(), 42, [F.issuer, F.issuer], [42], ["aud": F.issuer]]
        for shape in shapes {
            #expect(throws: JOSEError.audience) { try F.check(F.make(key, claims: ["aud": shape]), keys: [key.publicJWK()]) }
        }
        #expect(throws: JOSEError.audience) { try F.check(F.make(key, claims: ["aud": nil]), keys: [key.publicJWK()]) }
    }

    @Test("case 5: exp missing, 61 s past, a year ahead, or not a number is refused; 59 s past is inside the skew")
    func case5Expiry() throws {
        let key = TestKey.es256(), now = Int(testNow.timeIntervalSince1970)
        for exp in [nil, now - 61, now + 365 * 86_400, "\(now + 60)"] as [Any?] {
            #expect(throws: JOSEError.self) { try F.check(F.make(key, claims: ["exp": exp]), keys: [key.publicJWK()]) }
        }
        _ = try F.check(F.make(key, claims: ["exp": now - 59]), keys: [key.publicJWK()])
        _ = try F.check(F.make(key, claims: ["exp": now + 360]), keys: [key.publicJWK()])
        #expect(throws: JOSEError.self) { try F.check(F.make(key, claims: ["exp": now + 361]), keys: [key.publicJWK()]) }
    }

    @Test("case 6: iat or nbf 10 s ahead is accepted, 61 s ahead is refused")
    func case6FutureIssuedAt() throws {
        let key = TestKey.es256(), now = Int(testNow.timeIntervalSince1970)
        for claim in ["iat", "nbf"] {
            _ = try F.check(F.make(key, claims: [claim: now + 10]), keys: [key.publicJWK()])
            #expect(throws: JOSEError("\(claim) is in the future")) { try F.check(F.make(key, claims: [claim: now + 61]), keys: [key.publicJWK()]) }
        }
    }

    @Test("case 8: jti missing, empty, 129 bytes or 10 KiB is refused")
    func case8JTI() {
        let key = TestKey.es256()
        for jti in [nil, "", String(repeating: "j", count: 129), String(repeating: "j", count: 10 * 1024)] as [Any?] {
            #expect(throws: JOSEError.self) { try F.check(F.make(key, claims: ["jti": jti]), keys: [key.publicJWK()]) }
        }
    }

    @Test("case 9: iss ≠ sub, sub ≠ client, the form's client_id ≠ sub, and an empty iss/sub are refused")
    func case9Identity() {
        let key = TestKey.es256()
        let cases: [([String: Any?], String?)] = [(["iss": "cl_2"], F.clientID), (["sub": "cl_2"], F.clientID),
                                                  (["iss": "cl_2", "sub": "cl_2"], F.clientID), (["iss": "", "sub": ""], nil),
                                                  (["iss": nil], nil), (["sub": 7], nil)]
        for (claims, form) in cases {
            #expect(throws: JOSEError.self) { try ClientAssertion.inspect(F.make(key, claims: claims), formClientID: form) }
        }
    }

    @Test("case 11: two JWTs concatenated and a five-segment JWE are refused, the JWE never processed")
    func case11Shapes() {
        let key = TestKey.es256()
        let one = F.make(key)
        for joined in [one + one, one + "." + one, one + " " + one, one + "," + one] {
            #expect(throws: JOSEError.self) { try F.check(joined, keys: [key.publicJWK()]) }
        }
        let jwe = b64(#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#) + ".AAAA.AAAA.AAAA.AAAA"
        #expect(throws: JOSEError.jweRefused) { try F.check(jwe, keys: [key.publicJWK()]) }
    }

    @Test("case 12: an unknown kid, ../../dev/null and ' OR 1=1-- are unknown kids: no fallback to another key")
    func case12Kid() {
        let key = TestKey.es256()
        for kid in ["k9", "../../dev/null", "' OR 1=1--", ""] {
            // Signed by the registered key, yet refused: a kid that names no key never falls back.
            #expect(throws: JOSEError.unknownKeyID) { try F.check(F.make(key, kid: kid), keys: [key.publicJWK()]) }
        }
        #expect(throws: JOSEError.unknownKeyID) { try F.check(F.make(key, header: ["kid": 1]), keys: [key.publicJWK()]) }
    }

    @Test("case 13: jku, x5u, an embedded jwk or x5c in the header is refused before any key is chosen")
    func case13KeyReferences() {
        let key = TestKey.es256()
        let refs: [String: Any] = ["jku": "https://attacker.example/jwks", "x5u": "https://attacker.example/cert",
                                   "jwk": key.publicMembers(), "x5c": ["MIIB"]]
        for (name, value) in refs {
            #expect(throws: JOSEError.headerKeyReferenceRefused) { try F.check(F.make(key, header: [name: value]), keys: [key.publicJWK()]) }
        }
    }

    @Test("case 14: crit [\"ext\"] and crit [] are refused")
    func case14Crit() {
        let key = TestKey.es256()
        for crit in [["ext"], [String]()] {
            #expect(throws: JOSEError.critRefused) { try F.check(F.make(key, header: ["crit": crit, "ext": 1]), keys: [key.publicJWK()]) }
        }
    }

    @Test("case 15: a duplicate sub (also written with an escape) and a duplicate header alg are refused")
    func case15Duplicates() {
        let key = TestKey.es256()
        let header = F.header(key)
        let body = String(F.claims().dropLast())
        for payload in [body + #","sub":"cl_2"}"#, body + #","s\u0075b":"cl_1"}"#] {
            #expect(throws: JOSEError.duplicateMember) { try F.check(key.jws(header: header, payload: payload), keys: [key.publicJWK()]) }
        }
        let doubled = #"{"alg":"ES256","kid":"k1","alg":"none"}"#
        #expect(throws: JOSEError.duplicateMember) { try F.check(key.jws(header: doubled, payload: F.claims()), keys: [key.publicJWK()]) }
    }

    @Test("case 16: an at+jwt access token or a dpop+jwt proof presented as an assertion is refused")
    func case16OtherJWTTypes() throws {
        let key = TestKey.es256()
        for typ in ["at+jwt", "application/at+jwt", "dpop+jwt", "AT+JWT"] {
            #expect(throws: JOSEError.self) { try F.check(F.make(key, header: ["typ": typ]), keys: [key.publicJWK()]) }
        }
        guard case .p256(let p) = key.material else { return }
        let signing = TokenSigningKey(kid: "k1", privateKey: p)
        let token = AccessToken.mint(AccessTokenClaims(issuer: F.issuer, subject: F.clientID, clientID: F.clientID, audience: F.tokenEndpoint,
                                                       scope: [], issuedAt: testNow, expiresAt: testNow + 60, jti: "t1"), key: signing)
        #expect(throws: JOSEError.self) { try F.check(token, keys: [signing.publicJWK]) }
        _ = try F.check(F.make(key, header: ["typ": "jwt"]), keys: [key.publicJWK()])
    }

    @Test("case 17: a zero or DER ES256 signature, padded, whitespace, standard-alphabet or non-canonical base64url are refused")
    func case17Encodings() throws {
        let key = TestKey.es256()
        guard case .p256(let p) = key.material else { return }
        let good = F.make(key)
        let input = String(good[..<good.lastIndex(of: ".")!])
        let sig = try p.signature(for: Array(input.utf8))
        for bad in [input + "." + Base64URL.encode([UInt8](repeating: 0, count: 64)), input + "." + Base64URL.encode(sig.derRepresentation)] {
            #expect(throws: JOSEError.badSignature) { try F.check(bad, keys: [key.publicJWK()]) }
        }
        let parts = good.split(separator: ".").map(String.init)
        let lastSig = parts[2].last!
        let nonCanonical = String(parts[2].dropLast()) + (lastSig == "B" ? "C" : "B") // 64 bytes → 86 chars: 4 spare bits
        for bad in [good + "==", parts[0] + "=." + parts[1] + "." + parts[2], parts[0] + ". " + parts[1] + "." + parts[2],
                    parts[0] + "." + parts[1] + "\n." + parts[2], input + "." + nonCanonical,
                    input + "." + parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "+"] {
            #expect(throws: JOSEError.badBase64URL) { try F.check(bad, keys: [key.publicJWK()]) }
        }
        _ = try F.check(good, keys: [key.publicJWK()])
    }

    @Test("A key's own alg pins it: RS256 under a PS256 key fails; an ES256 assertion never verifies with an RSA key")
    func algorithmPinning() {
        let rs = TestKey.rs256(), ps = TestKey.ps256()
        #expect(throws: JOSEError.badSignature) { try F.check(F.make(rs), keys: [ps.publicJWK()]) }
        #expect(throws: JOSEError.badSignature) { try F.check(F.make(TestKey.es256()), keys: [rs.publicJWK()]) }
    }
}
