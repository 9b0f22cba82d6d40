import Foundation

package struct VerifySourceDTO: Codable, Sendable {
    package var ip: String?
    package var userAgent: String?
    package var clientCertSubject: String?
    package var clientCertThumbprint: String?
    /// The method and path of the request that presented the credential (sent by `/v1/authz`).
    package var method: String?
    package var path: String?
    package init(ip: String? = nil, userAgent: String? = nil, clientCertSubject: String? = nil, clientCertThumbprint: String? = nil,
                 method: String? = nil, path: String? = nil) {
        self.method = method
        self.path = path
        self.ip = ip
        self.userAgent = userAgent
        self.clientCertSubject = clientCertSubject
        self.clientCertThumbprint = clientCertThumbprint
    }
}

package struct VerifyRequest: Codable, Sendable {
    /// An API key, or an access token Keyward issued.
    package var key: String
    package var scopes: [String]?
    package var source: VerifySourceDTO?
    /// For a DPoP-bound token: the proof the caller received, and the request's method and URL.
    package var dpop: String?
    package var htm: String?
    package var htu: String?
    /// For an access token: the audience the caller serves (default: the issuer's default audience).
    package var audience: String?
    package init(key: String, scopes: [String]? = nil, source: VerifySourceDTO? = nil) {
        self.key = key
        self.scopes = scopes
        self.source = source
    }
}

/// The limit that bound a verify: requests per period, left now, and seconds until it is whole
/// again; `retry_after` (seconds) only on `rate_limited`.
package struct RateLimitStateDTO: Codable, Sendable, Equatable {
    package var limit: Int
    package var remaining: Int
    package var reset: Int
    package var retryAfter: Int?
    package init(limit: Int, remaining: Int, reset: Int, retryAfter: Int? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
        self.retryAfter = retryAfter
    }
}

package struct VerifyResponse: Codable, Sendable {
    package var valid: Bool
    package var reason: String?
    package var keyId: String?
    package var version: Int?
    package var identityId: String?
    package var scopes: [String]?
    package var expiresAt: Date?
    /// For an access token: its client and its `jti`.
    package var clientId: String?
    package var tokenId: String?
    /// With reason `dpop_nonce_required`: the nonce the resource server sends back in `DPoP-Nonce`.
    package var dpopNonce: String?
    package var ratelimit: RateLimitStateDTO?
    package init(valid: Bool, reason: String? = nil, keyId: String? = nil, version: Int? = nil, identityId: String? = nil, scopes: [String]? = nil, expiresAt: Date? = nil,
                 clientId: String? = nil, tokenId: String? = nil, dpopNonce: String? = nil, ratelimit: RateLimitStateDTO? = nil) {
        self.ratelimit = ratelimit
        self.dpopNonce = dpopNonce
        self.clientId = clientId
        self.tokenId = tokenId
        self.valid = valid
        self.reason = reason
        self.keyId = keyId
        self.version = version
        self.identityId = identityId
        self.scopes = scopes
        self.expiresAt = expiresAt
    }
}
