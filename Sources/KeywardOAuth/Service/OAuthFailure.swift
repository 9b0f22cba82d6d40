/// An RFC 6749 §5.2 (or RFC 9449 §7.1 / RFC 7009 §2.2.1) error: the code on the wire, the
/// HTTP status, and a description that never holds a token, assertion or proof.
package struct OAuthFailure: Error, Sendable, Equatable {
    package enum Code: String, Sendable {
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case unauthorizedClient = "unauthorized_client"
        case unsupportedGrantType = "unsupported_grant_type"
        case invalidScope = "invalid_scope"
        case invalidDPoPProof = "invalid_dpop_proof"
        case useDPoPNonce = "use_dpop_nonce"
        case invalidToken = "invalid_token"
        case unsupportedTokenType = "unsupported_token_type"
        case temporarilyUnavailable = "temporarily_unavailable"
    }

    package var code: Code
    package var status: Int
    package var description: String
    /// A fresh `DPoP-Nonce` to send with `use_dpop_nonce`.
    package var dpopNonce: String?

    package init(_ code: Code, _ description: String, status: Int? = nil, dpopNonce: String? = nil) {
        self.code = code
        self.description = description
        self.dpopNonce = dpopNonce
        self.status = status ?? {
            switch code {
            case .invalidClient, .invalidToken: 401
            case .temporarilyUnavailable: 503
            default: 400
            }
        }()
    }
}
