import Crypto
import _CryptoExtras

/// A public signing key given as a JWK (RFC 7517), checked and turned into a key that verifies
/// once, so a signature check on the hot path costs only the signature check.
package struct PublicJWK: Sendable, Hashable {
    package let kty: String
    package let alg: JWSAlgorithm?
    package let kid: String?
    /// `use` when the JWK set it (only "sig" is accepted).
    package let use: String?
    /// RFC 7638 SHA-256, base64url.
    package let thumbprint: String
    /// The public members only, canonical order: to store and to publish.
    package let publicJSON: String
    let material: Material

    // Unchecked: swift-crypto's Linux keys wrap BoringSSL objects without declaring Sendable; they are never mutated after init.
    enum Material: @unchecked Sendable {
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey, modulusBytes: Int)
    }

    // RFC 7517 §4 / RFC 7518 §6.2.2, §6.3.2 / RFC 8037 §2: members that only a private or symmetric key has.
    static let privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
    static let minimumRSABits = 2048, maximumRSABits = 8192

    /// A public key: refuses private members (d, p, q, dp, dq, qi, oth, k), kty oct, unknown kty/crv, bad coordinates.
    /// RSA moduli must be 2048…8192 bits wherever a key is used (RFC 7518 §3.3 asks for 2048 or more).
    package static func parse(_ members: [String: JSONValue]) throws(JOSEError) -> PublicJWK {
        for name in privateMembers where members[name] != nil {
            throw JOSEError("JWK holds a private key member (\(name)): only public keys are accepted")
        }
        guard let kty = members["kty"]?.stringValue else { throw JOSEError("JWK has no kty string") }
        var alg: JWSAlgorithm?
        if let value = members["alg"] {
            guard let name = value.stringValue, let known = JWSAlgorithm(rawValue: name) else { throw JOSEError("JWK alg is not ES256, EdDSA, RS256 or PS256") }
            guard known.keyType == kty else { throw JOSEError("JWK alg does not fit its kty") }
            alg = known
        }
        let kid = try optionalString(members["kid"], name: "kid")
        if let kid, kid.isEmpty || kid.utf8.count > 256 { throw JOSEError("JWK kid must be 1…256 bytes") }
        let use = try optionalString(members["use"], name: "use")
        // RFC 7517 §4.2: a key for encryption is not a signing key.
        if let use, use != "sig" { throw JOSEError("JWK use is not sig") }
        if let ops = members["key_ops"] {
            // RFC 7517 §4.3: a verifying key lists "verify".
            guard let list = ops.arrayValue, list.contains(.string("verify")) else { throw JOSEError("JWK key_ops does not include verify") }
        }

        let material: Material
        switch kty {
        case "EC":
            // RFC 7518 §6.2.1: x and y are the full 32-byte coordinates on P-256.
            guard members["crv"]?.stringValue == "P-256" else { throw JOSEError("EC JWK crv is not P-256") }
            guard let x = coordinate(members["x"], bytes: 32), let y = coordinate(members["y"], bytes: 32),
                  let key = try? P256.Signing.PublicKey(rawRepresentation: x + y) else { throw JOSEError("EC JWK x/y are not a P-256 point") }
            material = .p256(key)
        case "OKP":
            // RFC 8037 §2: crv Ed25519, x the 32-byte public key.
            guard members["crv"]?.stringValue == "Ed25519" else { throw JOSEError("OKP JWK crv is not Ed25519") }
            guard let x = coordinate(members["x"], bytes: 32), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
                throw JOSEError("OKP JWK x is not an Ed25519 public key")
            }
            material = .ed25519(key)
        case "RSA":
            material = try rsa(members)
        case "oct":
            throw JOSEError("symmetric JWK (kty oct) is not accepted")
        default:
            throw JOSEError("JWK kty is not EC, OKP or RSA")
        }
        guard let thumbprint = try? JWKThumbprint.sha256(members: members) else { throw JOSEError("JWK lacks a thumbprint member") }
        return PublicJWK(kty: kty, alg: alg, kid: kid, use: use, thumbprint: thumbprint, publicJSON: canonicalJSON(members), material: material)
    }

    /// The public members Keyward keeps, in lexicographic order (as RFC 7638 orders its members).
    static func canonicalJSON(_ members: [String: JSONValue]) -> String {
        var written: [(String, String)] = []
        for name in ["alg", "crv", "e", "kid", "kty", "n", "use", "x", "y"] {
            if let value = members[name]?.stringValue { written.append((name, JSONText.quoted(value))) }
        }
        return JSONText.object(written)
    }

    package static func parse(json: String) throws(JOSEError) -> PublicJWK {
        try parse(StrictJSON.object(json.utf8))
    }

    /// RFC 7518 §6.3.1: n and e are unsigned big-endian integers in the fewest octets.
    static func rsa(_ members: [String: JSONValue]) throws(JOSEError) -> Material {
        guard let n = members["n"]?.stringValue.flatMap(Base64URL.decode), let e = members["e"]?.stringValue.flatMap(Base64URL.decode),
              let nFirst = n.first, nFirst != 0, let eFirst = e.first, eFirst != 0, e.count <= 8, e.last! & 1 == 1
        else { throw JOSEError("RSA JWK n/e are not minimal base64url integers") }
        let bits = n.count * 8 - nFirst.leadingZeroBitCount
        guard bits >= minimumRSABits else { throw JOSEError("RSA JWK modulus is shorter than 2048 bits") }
        guard bits <= maximumRSABits else { throw JOSEError("RSA JWK modulus is longer than 8192 bits") }
        guard e.count > 1 || eFirst >= 3, let key = try? _RSA.Signing.PublicKey(n: n, e: e) else { throw JOSEError("RSA JWK is not a usable public key") }
        return .rsa(key, modulusBytes: n.count)
    }

    static func coordinate(_ value: JSONValue?, bytes: Int) -> [UInt8]? {
        guard let text = value?.stringValue, let decoded = Base64URL.decode(text), decoded.count == bytes else { return nil }
        return decoded
    }

    static func optionalString(_ value: JSONValue?, name: StaticString) throws(JOSEError) -> String? {
        guard let value else { return nil }
        guard let s = value.stringValue else { throw JOSEError("JWK \(name) is not a string") }
        return s
    }

    package static func == (a: PublicJWK, b: PublicJWK) -> Bool { a.publicJSON == b.publicJSON }
    package func hash(into hasher: inout Hasher) { hasher.combine(publicJSON) }
}
