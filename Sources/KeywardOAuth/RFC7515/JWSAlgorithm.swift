/// The JWS algorithms Keyward accepts (RFC 7518 §3, RFC 8037 §3.1): asymmetric only. `none` and
/// the HMAC family are absent on purpose, so no code path can verify with a shared secret — a
/// public key used as an HMAC secret (RFC 8725 §2.1) has nothing to match.
package enum JWSAlgorithm: String, Sendable, CaseIterable {
    case es256 = "ES256", edDSA = "EdDSA", rs256 = "RS256", ps256 = "PS256"

    /// The JWK `kty` a key for this algorithm has.
    package var keyType: String {
        switch self {
        case .es256: "EC"
        case .edDSA: "OKP"
        case .rs256, .ps256: "RSA"
        }
    }
}
