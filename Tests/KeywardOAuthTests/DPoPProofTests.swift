import Crypto
import Foundation
import KeywardOAuth
import Testing

/// RFC 9449 §4.3 DPoP proof checks: SECURITY-CASES 29–33 and 35.
@Suite("OAuth: DPoP proofs (RFC 9449)")
struct DPoPProofTests {
    static let tokenURI = "https://as.example/oauth/token"

    /// A proof by `key` with its public JWK in the header; `header` and `claims` override (nil removes).
    static func proof(_ key: TestKey, header: [String: Any?] = [:], claims: [String: Any?] = [:]) -> String {
        var h: [String: Any] = ["typ": "dpop+jwt", "alg": key.alg.rawValue, "jwk": key.publicMembers(kid: nil, withAlg: false)]
        var c: [String: Any] = ["jti": UUID().uuidString, "htm": "POST", "htu": tokenURI, "iat": Int(testNow.timeIntervalSince1970)]
        for (k, v) in header { if let v { h[k] = v } else { h.removeValue(forKey: k) } }
        for (k, v) in claims { if let v { c[k] = v } else { c.removeValue(forKey: k) } }
        return key.jws(header: json(h), payload: json(c))
    }

    static func validate(_ values: [String], method: String = "POST", uri: String = tokenURI, token: String? = nil) throws(JOSEError) -> ValidatedDPoPProof {
        try DPoPProof.validate(headerValues: values, method: method, expectedURI: uri, accessToken: token, now: testNow)
    }

    @Test("A proof by each algorithm's key validates and names its key's thumbprint, jti, iat and nonce")
    func positive() throws {
        for key in [TestKey.es256(), .edDSA(), .rs256(), .ps256()] {
            let v = try Self.validate([Self.proof(key, claims: ["jti": "p1", "nonce": "n-1"])])
            #expect(v.jkt == key.publicJWK(kid: nil).thumbprint && v.jti == "p1" && v.nonce == "n-1" && v.issuedAt == testNow)
        }
        #expect(try Self.validate([Self.proof(.es256())]).nonce == nil)
    }

    @Test("With a key cache, proofs by one key (one header) give what validating without it gives; a bad signature under a cached header and another key's proof are still judged on their own")
    func keyCache() throws {
        let cache = DPoPKeyCache()
        let key = TestKey.es256(), other = TestKey.es256()
        for n in 0..<3 {
            let p = Self.proof(key, claims: ["jti": "c\(n)"])
            let cached = try DPoPProof.validate(headerValues: [p], method: "POST", expectedURI: Self.tokenURI, accessToken: nil, now: testNow, keyCache: cache)
            let plain = try Self.validate([p])
            #expect(cached.jkt == plain.jkt && cached.jkt == key.publicJWK(kid: nil).thumbprint && cached.jti == "c\(n)")
        }
        // The header (and so the cache entry) of `key`, the signature of `other`.
        let forged = Self.proof(key, claims: ["jti": "f"])
        let signedByOther = other.jws(header: String(decoding: Base64URL.decode(String(forged.split(separator: ".")[0]))!, as: UTF8.self),
                                      payload: #"{"jti":"f","htm":"POST","htu":"\#(Self.tokenURI)","iat":\#(Int(testNow.timeIntervalSince1970))}"#)
        #expect(throws: JOSEError.badSignature) {
            try DPoPProof.validate(headerValues: [signedByOther], method: "POST", expectedURI: Self.tokenURI, accessToken: nil, now: testNow, keyCache: cache)
        }
        let theirs = try DPoPProof.validate(headerValues: [Self.proof(other)], method: "POST", expectedURI: Self.tokenURI, accessToken: nil, now: testNow, keyCache: cache)
        #expect(theirs.jkt == other.publicJWK(kid: nil).thumbprint)
    }

    @Test("case 29: two DPoP headers, none, typ JWT, alg HS256 or none are refused")
    func case29() {
        let key = TestKey.es256()
        let p = Self.proof(key)
        #expect(throws: JOSEError.self) { try Self.validate([p, p]) }
        #expect(throws: JOSEError.self) { try Self.validate([]) }
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, header: ["typ": "JWT"])]) }
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, header: ["typ": nil])]) }
        for alg in ["HS256", "none"] {
            let input = b64(json(["typ": "dpop+jwt", "alg": alg, "jwk": key.publicMembers(kid: nil, withAlg: false)])) + "." +
                b64(json(["jti": "x", "htm": "POST", "htu": Self.tokenURI, "iat": Int(testNow.timeIntervalSince1970)]))
            let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(key.jwkJSON().utf8)))
            #expect(throws: JOSEError.algorithmRefused) { try Self.validate([input + "." + (alg == "none" ? "" : Base64URL.encode(Array(mac)))]) }
        }
    }

    @Test("case 30: a jwk holding a private d, and a signature made by another key, are refused")
    func case30() {
        let key = TestKey.es256()
        var withD: [String: Any] = key.publicMembers(kid: nil, withAlg: false)
        withD["d"] = Base64URL.encode([UInt8](repeating: 7, count: 32))
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, header: ["jwk": withD])]) }
        let other = TestKey.es256()
        #expect(throws: JOSEError.badSignature) { try Self.validate([Self.proof(key, header: ["jwk": other.publicMembers(kid: nil, withAlg: false)])]) }
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, header: ["jwk": nil])]) }
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, header: ["jwk": ["kty": "oct", "k": "AAAA"]])]) }
    }

    @Test("case 31: htm of another method (or case) and htu of another host, path, scheme or port are refused")
    func case31() {
        let key = TestKey.es256()
        for (name, value) in [("htm", "GET"), ("htm", "post"), ("htm", nil), ("htu", "https://evil.example/oauth/token"),
                              ("htu", "https://as.example/oauth/revoke"), ("htu", "http://as.example/oauth/token"),
                              ("htu", "https://as.example:8443/oauth/token"), ("htu", nil)] as [(String, String?)] {
            #expect(throws: JOSEError.self, "\(name)=\(value ?? "nil")") { try Self.validate([Self.proof(key, claims: [name: value])]) }
        }
    }

    @Test("case 32: htu with ?q#f, an upper-case scheme or host, and an explicit :443 are accepted (positive controls)")
    func case32() throws {
        let key = TestKey.es256()
        for htu in ["https://as.example/oauth/token?q=1#f", "HTTPS://AS.EXAMPLE/oauth/token", "https://as.example:443/oauth/token"] {
            _ = try Self.validate([Self.proof(key, claims: ["htu": htu])])
        }
    }

    @Test("case 33: iat an hour behind or ahead is refused; 59 s either way is accepted; a missing jti is refused")
    func case33() throws {
        let key = TestKey.es256(), now = Int(testNow.timeIntervalSince1970)
        for iat in [now - 3600, now + 3600, now + 61] {
            #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, claims: ["iat": iat])]) }
        }
        for iat in [now - 59, now + 59] { _ = try Self.validate([Self.proof(key, claims: ["iat": iat])]) }
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, claims: ["jti": nil])]) }
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, claims: ["jti": String(repeating: "j", count: 129)])]) }
    }

    @Test("case 35: at a resource, ath missing or hashing another token is refused; the right ath is accepted")
    func case35() throws {
        let key = TestKey.es256(), token = "eyJ.token.value"
        let ath = Base64URL.encode(SHA256.hash(data: Array(token.utf8)))
        let uri = "https://api.example/v1/things"
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, claims: ["htu": uri])], method: "POST", uri: uri, token: token) }
        let wrong = Base64URL.encode(SHA256.hash(data: Array("other".utf8)))
        #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, claims: ["htu": uri, "ath": wrong])], uri: uri, token: token) }
        _ = try Self.validate([Self.proof(key, claims: ["htu": uri, "ath": ath])], uri: uri, token: token)
    }

    @Test("jku, x5u and crit in a proof header are refused")
    func keyReferences() {
        let key = TestKey.es256()
        for (name, value) in [("jku", "https://attacker.example/k"), ("x5u", "https://attacker.example/c"), ("crit", "[]")] {
            #expect(throws: JOSEError.self) { try Self.validate([Self.proof(key, header: [name: value])]) }
        }
    }
}
