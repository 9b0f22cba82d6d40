import Foundation

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
    package init(name: String, kind: Kind, businessOwner: String? = nil, technicalOwner: String? = nil, purpose: String? = nil,
                environment: String, dataClassification: Classification? = nil, labels: [String: String]? = nil, allowedScopes: [String]? = nil) {
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
    package init(businessOwner: String? = nil, technicalOwner: String? = nil, purpose: String? = nil, labels: [String: String]? = nil, allowedScopes: [String]? = nil) {
        self.businessOwner = businessOwner
        self.technicalOwner = technicalOwner
        self.purpose = purpose
        self.labels = labels
        self.allowedScopes = allowedScopes
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
    package init(id: String, name: String, kind: String, businessOwner: String?, technicalOwner: String?, purpose: String?, environment: String,
                dataClassification: String, labels: [String: String], allowedScopes: [String], status: String, createdAt: Date, updatedAt: Date,
                decommissionedAt: Date?, revokedKeys: Int? = nil) {
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
