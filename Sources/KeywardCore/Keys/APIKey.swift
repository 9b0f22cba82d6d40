import Foundation

package enum KeyStatus: String, Sendable, Codable {
    case active, revoked
    /// Contained after a leak: verify answers `quarantined` (or admits only the quarantine
    /// scopes). Rotating the key lifts it; revoking ends it.
    case quarantined
}

/// An API key: one `id` across versions; each rotation adds a `KeyVersion`.
package struct APIKey: Sendable, Equatable {
    package var id: KeyID
    package var identityID: IdentityID
    package var name: String?
    package var environment: KeyEnvironment
    package var scopes: [Scope]
    package var status: KeyStatus
    package var currentVersion: Int
    package var createdAt: Date
    package var updatedAt: Date
    package var revokedAt: Date?
    package var revokeReason: String?
    package var lastUsedAt: Date?
    package var versions: [KeyVersion]
    /// This key's own limit (nil: the policy's for its environment).
    package var rateLimit: RateLimit?

    package init(
        id: KeyID, identityID: IdentityID, name: String?, environment: KeyEnvironment, scopes: [Scope],
        status: KeyStatus, currentVersion: Int, createdAt: Date, updatedAt: Date,
        revokedAt: Date? = nil, revokeReason: String? = nil, lastUsedAt: Date? = nil, versions: [KeyVersion], rateLimit: RateLimit? = nil
    ) {
        self.rateLimit = rateLimit
        self.id = id
        self.identityID = identityID
        self.name = name
        self.environment = environment
        self.scopes = scopes
        self.status = status
        self.currentVersion = currentVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revokedAt = revokedAt
        self.revokeReason = revokeReason
        self.lastUsedAt = lastUsedAt
        self.versions = versions
    }

    package var current: KeyVersion? { versions.first { $0.version == currentVersion } }
}

/// One version of a key. Only the digest and fingerprint are ever stored.
package struct KeyVersion: Sendable, Equatable {
    package var version: Int
    package var digest: SecretDigest
    package var fingerprint: Fingerprint
    package var prefix: String
    package var expiresAt: Date?
    package var createdAt: Date
    /// Set when a newer version replaced this one: valid until then, `rotated` after.
    package var graceUntil: Date?
    /// `PossessionProof.check` of this version's secret: written when the version is issued and
    /// read only by exposure matching (`Store.keyVersion(digest:)`), never loaded into the index.
    package var possessionCheck: SecretDigest?

    package init(version: Int, digest: SecretDigest, fingerprint: Fingerprint, prefix: String,
                 expiresAt: Date?, createdAt: Date, graceUntil: Date? = nil, possessionCheck: SecretDigest? = nil) {
        self.possessionCheck = possessionCheck
        self.version = version
        self.digest = digest
        self.fingerprint = fingerprint
        self.prefix = prefix
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.graceUntil = graceUntil
    }
}
