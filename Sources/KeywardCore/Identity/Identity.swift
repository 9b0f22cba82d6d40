import Foundation

/// A non-human identity: the owner of credentials.
package struct Identity: Sendable, Equatable {
    package var id: IdentityID
    package var name: String
    package var kind: IdentityKind
    package var businessOwner: String?
    package var technicalOwner: String?
    package var purpose: String?
    package var environment: String
    package var dataClassification: DataClassification
    package var labels: [String: String]
    package var allowedScopes: [Scope]
    package var status: IdentityStatus
    package var createdAt: Date
    package var updatedAt: Date
    package var decommissionedAt: Date?
    /// This identity's own limit, shared by all its keys and tokens (nil: the policy's).
    package var rateLimit: RateLimit?

    package init(
        id: IdentityID, name: String, kind: IdentityKind, businessOwner: String?, technicalOwner: String?,
        purpose: String?, environment: String, dataClassification: DataClassification,
        labels: [String: String], allowedScopes: [Scope], status: IdentityStatus = .active,
        createdAt: Date, updatedAt: Date, decommissionedAt: Date? = nil, rateLimit: RateLimit? = nil
    ) {
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
    }

    /// True for the built-in identity that holds Keyward's own management keys.
    package var isBuiltIn: Bool { id == .keyward }
}
