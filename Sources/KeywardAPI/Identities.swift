import Foundation

/// A rate limit on the wire: `limit` requests per `period_seconds`, at most `burst` at once
/// (default: `limit`).
package struct RateLimitDTO: Codable, Sendable, Equatable {
    package var limit: Int
    package var periodSeconds: Int
    package var burst: Int?
    package init(limit: Int, periodSeconds: Int, burst: Int? = nil) {
        self.limit = limit
        self.periodSeconds = periodSeconds
        self.burst = burst
    }
}

/// `rate_limit` in a `PATCH`: absent leaves it, `null` returns to the policy's limit, an object sets one.
package enum RateLimitChange: Sendable, Equatable {
    case set(RateLimitDTO)
    case remove
}

extension KeyedDecodingContainer {
    /// Distinguishes an absent `rate_limit` (nil) from `null` (`.remove`), which `decodeIfPresent` cannot.
    package func decodeRateLimitChange(forKey key: Key) throws -> RateLimitChange? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return .remove }
        return .set(try decode(RateLimitDTO.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    package mutating func encodeRateLimitChange(_ change: RateLimitChange?, forKey key: Key) throws {
        switch change {
        case nil: break
        case .remove?: try encodeNil(forKey: key)
        case .set(let l)?: try encode(l, forKey: key)
        }
    }
}

package struct IdentityCreateRequest: Codable, Sendable {
    package enum Kind: String, Codable, Sendable, CaseIterable { case service, workload, pipeline, thirdParty = "third_party", agent }
    package enum Classification: String, Codable, Sendable, CaseIterable { case `public`, `internal`, confidential, restricted }
    package var name: String
    package var kind: Kind
    package var businessOwner: String?
    package var technicalOwner: String?
    package var purpose: String?
    package var environment: String
    package var dataClassification: Classification?
    package var labels: [String: String]?
    package var allowedScopes: [String]?
    package var rateLimit: RateLimitDTO?
    package init(name: String, kind: Kind, businessOwner: String? = nil, technicalOwner: String? = nil, purpose: String? = nil,
                environment: String, dataClassification: Classification? = nil, labels: [String: String]? = nil, allowedScopes: [String]? = nil,
                rateLimit: RateLimitDTO? = nil) {
        self.rateLimit = rateLimit
        self.name = name
        self.kind = kind
        self.businessOwner = businessOwner
        self.technicalOwner = technicalOwner
        self.purpose = purpose
        self.environment = environment
        self.dataClassification = dataClassification
        self.labels = labels
        self.allowedScopes = allowedScopes
    }
}

/// `PATCH /v1/identities/{id}`: only the fields present change.
package struct IdentityUpdateRequest: Codable, Sendable {
    package var businessOwner: String?
    package var technicalOwner: String?
    package var purpose: String?
    package var labels: [String: String]?
    package var allowedScopes: [String]?
    package var rateLimit: RateLimitChange?
    package init(businessOwner: String? = nil, technicalOwner: String? = nil, purpose: String? = nil, labels: [String: String]? = nil, allowedScopes: [String]? = nil,
                 rateLimit: RateLimitChange? = nil) {
        self.businessOwner = businessOwner
        self.technicalOwner = technicalOwner
        self.purpose = purpose
        self.labels = labels
        self.allowedScopes = allowedScopes
        self.rateLimit = rateLimit
    }

    enum CodingKeys: String, CodingKey { case businessOwner, technicalOwner, purpose, labels, allowedScopes, rateLimit }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        businessOwner = try c.decodeIfPresent(String.self, forKey: .businessOwner)
        technicalOwner = try c.decodeIfPresent(String.self, forKey: .technicalOwner)
        purpose = try c.decodeIfPresent(String.self, forKey: .purpose)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        allowedScopes = try c.decodeIfPresent([String].self, forKey: .allowedScopes)
        rateLimit = try c.decodeRateLimitChange(forKey: .rateLimit)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(businessOwner, forKey: .businessOwner)
        try c.encodeIfPresent(technicalOwner, forKey: .technicalOwner)
        try c.encodeIfPresent(purpose, forKey: .purpose)
        try c.encodeIfPresent(labels, forKey: .labels)
        try c.encodeIfPresent(allowedScopes, forKey: .allowedScopes)
        try c.encodeRateLimitChange(rateLimit, forKey: .rateLimit)
    }
}

package struct IdentityDecommissionRequest: Codable, Sendable {
    package var reason: String?
    package init(reason: String? = nil) { self.reason = reason }
}

package struct IdentityResponse: Codable, Sendable {
    package var id: String
    package var name: String
    package var kind: String
    package var businessOwner: String?
    package var technicalOwner: String?
    package var purpose: String?
    package var environment: String
    package var dataClassification: String
    package var labels: [String: String]
    package var allowedScopes: [String]
    package var status: String
    package var createdAt: Date
    package var updatedAt: Date
    package var decommissionedAt: Date?
    /// On decommission: how many keys were revoked by the cascade.
    package var revokedKeys: Int?
    /// Its own limit, shared by all its keys and tokens (absent: the policy's).
    package var rateLimit: RateLimitDTO?
    /// On `GET /v1/identities/{id}`: its open detections (at most 20, newest first).
    package var openDetections: [DetectionResponse]?
    package init(id: String, name: String, kind: String, businessOwner: String?, technicalOwner: String?, purpose: String?, environment: String,
                dataClassification: String, labels: [String: String], allowedScopes: [String], status: String, createdAt: Date, updatedAt: Date,
                decommissionedAt: Date?, revokedKeys: Int? = nil, rateLimit: RateLimitDTO? = nil) {
        self.rateLimit = rateLimit
        self.id = id
        self.name = name
        self.kind = kind
        self.businessOwner = businessOwner
        self.technicalOwner = technicalOwner
        self.purpose = purpose
        self.environment = environment
        self.dataClassification = dataClassification
        self.labels = labels
        self.allowedScopes = allowedScopes
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.decommissionedAt = decommissionedAt
        self.revokedKeys = revokedKeys
    }
}
