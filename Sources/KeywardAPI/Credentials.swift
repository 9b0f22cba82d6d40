import Foundation

// Wire types of imported third-party credentials.
// Memberwise `package init`s are written out because Swift synthesises them only as internal.

package struct CredentialImportItem: Codable, Sendable {
    /// Where it was found (`STRIPE_SECRET_KEY`, `prod:aws_secret_access_key`).
    package var name: String
    /// The plaintext: accepted only over TLS or from loopback, fingerprinted at once and dropped.
    package var secret: String
    package var provider: String?
    package var ruleId: String?
    /// The client's view that the format is high-entropy (a SHA-256 digest is kept only if
    /// the server agrees).
    package var highEntropy: Bool?
    package init(name: String, secret: String, provider: String?, ruleId: String?, highEntropy: Bool?) {
        self.name = name
        self.secret = secret
        self.provider = provider
        self.ruleId = ruleId
        self.highEntropy = highEntropy
    }
}

package struct CredentialImportRequest: Codable, Sendable {
    package var identityId: String
    /// dotenv, k8s-secret, aws-credentials or api
    package var origin: String?
    package var items: [CredentialImportItem]
    package init(identityId: String, origin: String?, items: [CredentialImportItem]) {
        self.identityId = identityId
        self.origin = origin
        self.items = items
    }
}

package struct CredentialResponse: Codable, Sendable {
    package var id: String
    package var identityId: String
    package var name: String
    package var provider: String
    package var ruleId: String?
    package var environment: String
    package var fingerprint: String
    package var hasDigest: Bool
    package var prefix: String
    package var origin: String
    package var status: String
    package var revocation: String
    package var createdAt: Date
    package var updatedAt: Date
    /// On import: false when the identity already held this credential.
    package var created: Bool?
    package init(id: String, identityId: String, name: String, provider: String, ruleId: String?, environment: String, fingerprint: String,
                 hasDigest: Bool, prefix: String, origin: String, status: String, revocation: String, createdAt: Date, updatedAt: Date, created: Bool?) {
        self.id = id
        self.identityId = identityId
        self.name = name
        self.provider = provider
        self.ruleId = ruleId
        self.environment = environment
        self.fingerprint = fingerprint
        self.hasDigest = hasDigest
        self.prefix = prefix
        self.origin = origin
        self.status = status
        self.revocation = revocation
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.created = created
    }
}
