import Foundation
import KeywardCore

/// The answer of a verify: a value, never an error.
package struct VerifyOutcome: Sendable {
    package var reason: VerifyReason?
    package var keyID: KeyID?
    package var version: Int?
    package var identityID: IdentityID?
    package var scopes: [Scope]?
    package var expiresAt: Date?
    /// For an access token: its client and its id (`jti`).
    package var clientID: OAuthClientID?
    package var tokenID: AccessTokenID?
    /// With `dpop_nonce_required`: the nonce to send back in `DPoP-Nonce`.
    package var dpopNonce: String?
    /// The limit that bound this request (nil when limits are off or were not consulted).
    package var ratelimit: RateLimitState?
    /// What the limits need and the wire never shows: the key's environment and the key's and
    /// identity's own limits (nil: the policy's).
    package var environment: KeyEnvironment?
    package var keyLimit: RateLimit?
    package var identityLimit: RateLimit?

    package var valid: Bool { reason == nil }

    package init(reason: VerifyReason?, keyID: KeyID?, version: Int?, identityID: IdentityID?, scopes: [Scope]?, expiresAt: Date?,
                 clientID: OAuthClientID? = nil, tokenID: AccessTokenID? = nil) {
        self.reason = reason
        self.keyID = keyID
        self.version = version
        self.identityID = identityID
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.clientID = clientID
        self.tokenID = tokenID
    }

    package static func invalid(_ reason: VerifyReason, _ hit: KeyIndex.Hit? = nil) -> VerifyOutcome {
        var o = VerifyOutcome(reason: reason, keyID: hit?.keyID, version: hit?.version, identityID: hit?.identityID,
                              scopes: nil, expiresAt: hit?.expiresAt)
        o.limits(hit)
        return o
    }

    mutating func limits(_ hit: KeyIndex.Hit?) {
        environment = hit?.environment
        keyLimit = hit?.keyLimit
        identityLimit = hit?.identityLimit
    }
}
