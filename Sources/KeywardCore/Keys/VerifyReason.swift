/// The closed set of reasons a verify answers `valid:false` (DESIGN.md); never renamed.
package enum VerifyReason: String, Sendable, CaseIterable, Codable {
    case malformed
    case notFound = "not_found"
    case expired
    case revoked
    case rotated
    case insufficientScope = "insufficient_scope"
    case environmentMismatch = "environment_mismatch"
    case quarantined
    case rateLimited = "rate_limited"
    /// A bound access token presented without its DPoP proof or certificate, or with another's.
    case bindingMismatch = "binding_mismatch"
    /// An access token issued for another audience (resource server).
    case wrongAudience = "wrong_audience"
    /// The server requires DPoP nonces and the proof carried none, or a stale one: the resource
    /// server answers 401 `use_dpop_nonce` with the `dpop_nonce` verify returned (RFC 9449 §9).
    case dpopNonceRequired = "dpop_nonce_required"
    /// The reported source is blocked by a detection (enumeration, by policy), whatever it presents.
    case sourceBlocked = "source_blocked"
}
