import Foundation
import KeywardOAuth
import Testing
import _CryptoExtras

/// RFC 7517 public JWKs and the registered-JWKS policy: SECURITY-CASES 19.
@Suite("OAuth: public JWKs and client key policy (RFC 7517)")
struct ClientKeyPolicyTests {
    static func set(_ keys: [[String: String]]) -> String { json(["keys": keys]) }

    @Test("A JWKS with an ES256, EdDSA and RS256 key is accepted; publicJSON is canonical and public; thumbprints match RFC 7638")
    func accepted() throws {
        let es = TestKey.es256(), ed = TestKey.edDSA(), rs = TestKey.rs256()
        var withExtras = es.publicMembers(kid: "a")
        withExtras["use"] = "sig"
        withExtras["x5t"] = "ignored"
        let keys = try ClientKeyPolicy.validate(jwksJSON: Self.set([withExtras, ed.publicMembers(kid: "b"), rs.publicMembers(kid: nil)]))
        #expect(keys.map(\.alg) == [.es256, .edDSA, .rs256] && keys.map(\.kid) == ["a", "b", nil])
        let m = es.publicMembers(kid: "a")
        #expect(keys[0].publicJSON == #"{"alg":"ES256","crv":"P-256","kid":"a","kty":"EC","use":"sig","x":"\#(m["x"]!)","y":"\#(m["y"]!)"}"#)
        #expect(keys[0].thumbprint == (try JWKThumbprint.sha256(m)))
        #expect(try PublicJWK.parse(json: keys[2].publicJSON) == keys[2])
    }

    @Test("case 19: a 1024-bit RSA JWK, a JWK without alg, and a private JWK (with d) are rejected")
    func case19() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let p = try small.publicKey.getKeyPrimitives()
        let rsa1024 = ["kty": "RSA", "alg": "RS256", "n": Base64URL.encode(p.modulus), "e": Base64URL.encode(p.publicExponent)]
        #expect(throws: JOSEError("RSA JWK modulus is shorter than 2048 bits")) { try ClientKeyPolicy.validate(jwksJSON: Self.set([rsa1024])) }
        let es = TestKey.es256()
        #expect(throws: JOSEError.self) { try ClientKeyPolicy.validate(jwksJSON: Self.set([es.publicMembers(withAlg: false)])) }
        var priv = es.publicMembers()
        priv["d"] = Base64URL.encode([UInt8](repeating: 1, count: 32))
        #expect(throws: JOSEError("JWK holds a private key member (d): only public keys are accepted")) {
            try ClientKeyPolicy.validate(jwksJSON: Self.set([priv]))
        }
        for name in ["p", "q", "dp", "dq", "qi", "k"] {
            var m = TestKey.rs256().publicMembers()
            m[name] = "AQAB"
            #expect(throws: JOSEError.self) { try ClientKeyPolicy.validate(jwksJSON: Self.set([m])) }
        }
    }

    @Test("Set shape: 0 or 11 keys, repeated kid or key, no keys array, and a non-object entry are rejected")
    func setShape() {
        let one = TestKey.es256().publicMembers(kid: "a")
        let bad = [Self.set([]), Self.set((0..<11).map { TestKey.es256().publicMembers(kid: "k\($0)") }),
                   Self.set([one, TestKey.es256().publicMembers(kid: "a")]), Self.set([one, one.filter { $0.key != "kid" }]),
                   #"{"keys":{}}"#, #"{"keys":["x"]}"#, "[]", #"{"keys":[],"keys":[]}"#]
        for text in bad {
            #expect(throws: JOSEError.self, "\(text.prefix(60))") { try ClientKeyPolicy.validate(jwksJSON: text) }
        }
    }

    @Test("Key shape: oct, P-384, X25519, off-curve or short coordinates, alg for another kty, use enc, weak e are rejected")
    func keyShape() {
        let ec = TestKey.es256().publicMembers()
        var variants: [[String: String]] = [["kty": "oct", "k": "AAAA", "alg": "ES256"]]
        variants.append(ec.merging(["crv": "P-384"]) { $1 })
        variants.append(ec.merging(["y": ec["x"]!]) { $1 })                              // (x, x) is not on the curve
        variants.append(ec.merging(["x": Base64URL.encode([UInt8](repeating: 1, count: 31))]) { $1 })
        variants.append(ec.merging(["alg": "RS256"]) { $1 })
        variants.append(ec.merging(["alg": "HS256"]) { $1 })
        variants.append(ec.merging(["use": "enc"]) { $1 })
        variants.append(TestKey.edDSA().publicMembers().merging(["crv": "X25519"]) { $1 })
        variants.append(TestKey.rs256().publicMembers().merging(["e": "AQ"]) { $1 })
        variants.append(TestKey.rs256().publicMembers().merging(["e": "AAEAAQ"]) { $1 })  // leading zero
        variants.append(["kty": "XYZ", "alg": "ES256"])
        for m in variants {
            #expect(throws: JOSEError.self, "\(m)") { try ClientKeyPolicy.validate(jwksJSON: Self.set([m])) }
        }
    }
}
