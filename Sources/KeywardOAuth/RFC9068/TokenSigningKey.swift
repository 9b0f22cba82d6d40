import Crypto

/// The server's ES256 key for access tokens. What does not change per token — the encoded
/// header and the public JWK — is computed once here.
// Unchecked: swift-crypto's Linux P-256 key wraps a BoringSSL object without declaring Sendable; signing does not mutate it.
package struct TokenSigningKey: @unchecked Sendable {
    package let kid: String
    package let privateKey: P256.Signing.PrivateKey
    /// alg ES256, use sig, kid: what `/.well-known/jwks.json` publishes.
    package var publicJWK: PublicJWK { jwk }
    /// base64url of {"alg":"ES256","kid":…,"typ":"at+jwt"} followed by ".".
    let encodedHeaderAndDot: [UInt8]
    let jwk: PublicJWK

    package init(kid: String, privateKey: P256.Signing.PrivateKey) {
        self.kid = kid
        self.privateKey = privateKey
        // RFC 9068 §2.1: typ at+jwt; RFC 7515 §4.1.4: kid names the key in the published set.
        let header = JSONText.object([("alg", "\"ES256\""), ("kid", JSONText.quoted(kid)), ("typ", "\"at+jwt\"")])
        encodedHeaderAndDot = Array(Base64URL.encode(header.utf8).utf8) + [UInt8(ascii: ".")]
        let raw = Array(privateKey.publicKey.rawRepresentation)
        let members: [String: JSONValue] = [
            "kty": .string("EC"), "crv": .string("P-256"), "alg": .string("ES256"), "use": .string("sig"), "kid": .string(kid),
            "x": .string(Base64URL.encode(raw[0..<32])), "y": .string(Base64URL.encode(raw[32..<64])),
        ]
        // Built directly, not through PublicJWK.parse: the key is ours and valid, and a server-chosen kid is not a client's to limit.
        // The thumbprint's members are all present above, so its fallback is never taken.
        jwk = PublicJWK(kty: "EC", alg: .es256, kid: kid, use: "sig", thumbprint: (try? JWKThumbprint.sha256(members: members)) ?? "",
                        publicJSON: PublicJWK.canonicalJSON(members), material: .p256(privateKey.publicKey))
    }
}
