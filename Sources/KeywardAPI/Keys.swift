import Foundation

package enum KeyEnvironmentDTO: String, Codable, Sendable, CaseIterable { case live, test }

package struct KeyCreateRequest: Codable, Sendable {
    package var identityId: String
    package var scopes: [String]
    package var environment: KeyEnvironmentDTO
    package var ttlSeconds: Int?
    package var expiresAt: Date?
    package var name: String?
    /// A key that never expires: only with `policy_exception_reason` (audited).
    package var nonExpiring: Bool?
    package var policyExceptionReason: String?
    /// A key minted from another live key of the same identity (narrower scopes, no longer
    /// lifetime): revoking or quarantining the parent does the same to it.
    package var derivedFrom: String?
    /// The key's own limit (absent: the policy's for its environment).
    package var rateLimit: RateLimitDTO?
    package init(identityId: String, scopes: [String], environment: KeyEnvironmentDTO, ttlSeconds: Int? = nil, expiresAt: Date? = nil,
                name: String? = nil, nonExpiring: Bool? = nil, policyExceptionReason: String? = nil, derivedFrom: String? = nil,
                rateLimit: RateLimitDTO? = nil) {
        self.rateLimit = rateLimit
        self.derivedFrom = derivedFrom
        self.identityId = identityId
        self.scopes = scopes
        self.environment = environment
        self.ttlSeconds = ttlSeconds
        self.expiresAt = expiresAt
        self.name = name
        self.nonExpiring = nonExpiring
        self.policyExceptionReason = policyExceptionReason
    }
}

/// The one response that carries a key's plaintext.
package struct KeyIssuedResponse: Codable, Sendable {
    package var id: String
    package var key: String
    package var prefix: String
    package var version: Int
    package var identityId: String
    package var environment: String
    package var scopes: [String]
    package var expiresAt: Date?
    package var createdAt: Date
    package init(id: String, key: String, prefix: String, version: Int, identityId: String, environment: String, scopes: [String], expiresAt: Date?, createdAt: Date) {
        self.id = id
        self.key = key
        self.prefix = prefix
        self.version = version
        self.identityId = identityId
        self.environment = environment
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }
}

package struct KeyVersionResponse: Codable, Sendable {
    package var version: Int
    package var prefix: String
    package var fingerprint: String
    /// `current`, `grace` (superseded, still valid), `rotated`, `expired`, `quarantined` or `revoked`.
    package var state: String
    package var createdAt: Date
    package var expiresAt: Date?
    package var graceUntil: Date?
    package init(version: Int, prefix: String, fingerprint: String, state: String, createdAt: Date, expiresAt: Date?, graceUntil: Date?) {
        self.version = version
        self.prefix = prefix
        self.fingerprint = fingerprint
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.graceUntil = graceUntil
    }
}

/// `PATCH /v1/keys/{id}`: `rate_limit` set (an object) or back to the policy's (`null`).
package struct KeyUpdateRequest: Codable, Sendable {
    package var rateLimit: RateLimitChange?
    package init(rateLimit: RateLimitChange? = nil) { self.rateLimit = rateLimit }

    enum CodingKeys: String, CodingKey { case rateLimit }

    package init(from decoder: any Decoder) throws {
        rateLimit = try decoder.container(keyedBy: CodingKeys.self).decodeRateLimitChange(forKey: .rateLimit)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeRateLimitChange(rateLimit, forKey: .rateLimit)
    }
}

package struct KeyResponse: Codable, Sendable {
    package var id: String
    package var identityId: String
    package var name: String?
    package var environment: String
    package var scopes: [String]
    /// `active`, `expired` or `revoked`.
    package var status: String
    package var version: Int
    package var prefix: String
    package var createdAt: Date
    package var updatedAt: Date
    package var expiresAt: Date?
    package var lastUsedAt: Date?
    package var revokedAt: Date?
    package var revokeReason: String?
    package var versions: [KeyVersionResponse]
    package var usage: [String: Int64]?
    /// Its own limit (absent: the policy's for its environment).
    package var rateLimit: RateLimitDTO?
    package init(id: String, identityId: String, name: String?, environment: String, scopes: [String], status: String, version: Int, prefix: String,
                createdAt: Date, updatedAt: Date, expiresAt: Date?, lastUsedAt: Date?, revokedAt: Date?, revokeReason: String?,
                versions: [KeyVersionResponse], usage: [String: Int64]? = nil, rateLimit: RateLimitDTO? = nil) {
        self.rateLimit = rateLimit
        self.id = id
        self.identityId = identityId
        self.name = name
        self.environment = environment
        self.scopes = scopes
        self.status = status
        self.version = version
        self.prefix = prefix
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.revokeReason = revokeReason
        self.versions = versions
        self.usage = usage
    }
}

package struct KeyRotateRequest: Codable, Sendable {
    package var graceSeconds: Int?
    /// Issue 15: close the window early once the old version has been unused this long
    /// (default: the server's `--rotation-quiet-period`).
    package var quietPeriodSeconds: Int?
    /// Issue 15: the latest (after the rotation) the window may be extended to for lagging
    /// declared consumers (default and ceiling: the policy's maximum grace).
    package var maxGraceSeconds: Int?
    package init(graceSeconds: Int? = nil, quietPeriodSeconds: Int? = nil, maxGraceSeconds: Int? = nil) {
        self.graceSeconds = graceSeconds
        self.quietPeriodSeconds = quietPeriodSeconds
        self.maxGraceSeconds = maxGraceSeconds
    }
}

package struct KeyRevokeRequest: Codable, Sendable {
    package var reason: String
    package init(reason: String) { self.reason = reason }
}
