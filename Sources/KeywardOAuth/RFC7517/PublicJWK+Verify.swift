import Crypto
import _CryptoExtras

extension PublicJWK {
    /// Raw signature check: ES256 needs exactly 64 bytes r‖s (DER refused); RSA keys with RS256/PS256; Ed25519 with EdDSA.
    /// The key's own `alg`, when set, must equal `alg`.
    package func verify(signature: [UInt8], signingInput: [UInt8], alg: JWSAlgorithm) -> Bool {
        // RFC 8725 §3.1: the algorithm must fit the key; a key's own alg pins it.
        if let own = self.alg, own != alg { return false }
        switch (material, alg) {
        case (.p256(let key), .es256):
            // RFC 7518 §3.4: the JWS signature is R‖S, 32 bytes each — never ASN.1 DER.
            guard signature.count == 64, let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: signingInput)
        case (.ed25519(let key), .edDSA):
            // RFC 8032 §5.1: 64-byte signatures.
            guard signature.count == 64 else { return false }
            return key.isValidSignature(signature, for: signingInput)
        case (.rsa(let key, let modulusBytes), .rs256):
            // RFC 8017 §8.2.2 step 1: the signature is exactly as long as the modulus.
            guard signature.count == modulusBytes else { return false }
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signingInput, padding: .insecurePKCS1v1_5)
        case (.rsa(let key, let modulusBytes), .ps256):
            // RFC 7518 §3.5: PSS with SHA-256, MGF1 with SHA-256, salt as long as the hash (swift-crypto's .PSS).
            guard signature.count == modulusBytes else { return false }
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signingInput, padding: .PSS)
        default:
            return false
        }
    }
}

extension CompactJWS {
    /// The key among `keys` that signed this JWS: by `kid` when the header has one (an unknown kid
    /// fails — never a fallback to another key, case 12), else each key whose alg fits.
    package func signer(among keys: [PublicJWK]) throws(JOSEError) -> PublicJWK {
        guard let alg = algorithm else { throw .algorithmRefused }
        let candidates: [PublicJWK]
        if let kidValue = header["kid"] {
            guard let kid = kidValue.stringValue else { throw .unknownKeyID }
            candidates = keys.filter { $0.kid == kid }
            guard !candidates.isEmpty else { throw .unknownKeyID }
        } else {
            candidates = keys.filter { $0.alg == alg || ($0.alg == nil && $0.kty == alg.keyType) }
        }
        guard let key = candidates.first(where: { $0.verify(signature: signature, signingInput: signingInput, alg: alg) }) else { throw .badSignature }
        return key
    }
}
