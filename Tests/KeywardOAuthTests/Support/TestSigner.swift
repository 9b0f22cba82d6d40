import Crypto
import Foundation
import KeywardOAuth
import _CryptoExtras

/// A signing key generated at test time (never committed), with the JWK of its public half.
struct TestKey {
    enum Material {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    let material: Material
    let alg: JWSAlgorithm

    /// RSA key generation is the slow part of these tests: one 2048-bit key for the whole run.
    static let sharedRSA = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func es256() -> TestKey { TestKey(material: .p256(P256.Signing.PrivateKey()), alg: .es256) }
    static func edDSA() -> TestKey { TestKey(material: .ed25519(Curve25519.Signing.PrivateKey()), alg: .edDSA) }
    static func rs256() -> TestKey { TestKey(material: .rsa(sharedRSA), alg: .rs256) }
    static func ps256() -> TestKey { TestKey(material: .rsa(sharedRSA), alg: .ps256) }

    /// The public JWK's members; `alg` and `kid` only when given.
    func publicMembers(kid: String? = "k1", withAlg: Bool = true) -> [String: String] {
        var m: [String: String]
        switch material {
        case .p256(let k):
            let raw = Array(k.publicKey.rawRepresentation)
            m = ["kty": "EC", "crv": "P-256", "x": Base64URL.encode(raw[0..<32]), "y": Base64URL.encode(raw[32..<64])]
        case .ed25519(let k):
            m = ["kty": "OKP", "crv": "Ed25519", "x": Base64URL.encode(k.publicKey.rawRepresentation)]
        case .rsa(let k):
            let p = try! k.publicKey.getKeyPrimitives()
            m = ["kty": "RSA", "n": Base64URL.encode(p.modulus), "e": Base64URL.encode(p.publicExponent)]
        }
        if withAlg { m["alg"] = alg.rawValue }
        if let kid { m["kid"] = kid }
        return m
    }

    func jwkJSON(kid: String? = "k1", withAlg: Bool = true) -> String { json(publicMembers(kid: kid, withAlg: withAlg)) }

    func publicJWK(kid: String? = "k1") -> PublicJWK { try! PublicJWK.parse(json: jwkJSON(kid: kid)) }

    func sign(_ input: [UInt8]) -> [UInt8] {
        switch material {
        case .p256(let k): Array(try! k.signature(for: input).rawRepresentation)
        case .ed25519(let k): Array(try! k.signature(for: input))
        case .rsa(let k): Array(try! k.signature(for: input, padding: alg == .ps256 ? .PSS : .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    /// A compact JWS over exactly the header and payload text given (so tests can write duplicates and odd shapes).
    func jws(header: String, payload: String) -> String {
        let input = b64(header) + "." + b64(payload)
        return input + "." + Base64URL.encode(sign(Array(input.utf8)))
    }
}

func b64(_ text: String) -> String { Base64URL.encode(text.utf8) }

/// JSON text for a test's header or claims (sorted keys, so the text is stable).
func json(_ object: [String: Any]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
}

/// A fixed instant: tests never read the wall clock.
let testNow = Date(timeIntervalSince1970: 1_750_000_000)
