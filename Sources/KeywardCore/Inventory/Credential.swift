import Foundation

package enum CredentialStatus: String, Sendable, Codable, CaseIterable {
    /// In use as far as Keyward knows.
    case active
    /// Found in a leak; its owner was told how to revoke it at the provider.
    case exposed
    /// Its owner says it is gone (revoked at the provider or no longer used).
    case retired
}

/// A third-party credential brought into the inventory (an AWS key in a `.env`, a Stripe key
/// in a Kubernetes Secret…). Keyward cannot revoke it at its provider; it can match a leak to
/// it and tell the owner. Stored as DESIGN.md says: an HMAC fingerprint under the server's key,
/// a SHA-256 digest only for high-entropy formats, a short prefix; never the plaintext.
package struct Credential: Sendable, Equatable {
    package var id: CredentialID
    package var identityID: IdentityID
    /// Where it was found, in its file's terms (`STRIPE_SECRET_KEY`, `prod:aws_secret_access_key`).
    package var name: String
    package var provider: String
    package var ruleID: String?
    package var environment: String
    package var fingerprint: Fingerprint
    package var digest: SecretDigest?
    package var prefix: String
    /// How it came in: dotenv, k8s-secret, aws-credentials or api.
    package var origin: String
    package var status: CredentialStatus
    package var createdAt: Date
    package var updatedAt: Date

    package init(id: CredentialID, identityID: IdentityID, name: String, provider: String, ruleID: String?, environment: String,
                 fingerprint: Fingerprint, digest: SecretDigest?, prefix: String, origin: String, status: CredentialStatus,
                 createdAt: Date, updatedAt: Date) {
        self.id = id
        self.identityID = identityID
        self.name = name
        self.provider = provider
        self.ruleID = ruleID
        self.environment = environment
        self.fingerprint = fingerprint
        self.digest = digest
        self.prefix = prefix
        self.origin = origin
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

package enum ConsumerKind: String, Sendable, Codable, CaseIterable {
    case deployment, pipeline, partner, agent, person
}

/// Who holds a credential, as declared by its owners (observed holders come from verify
/// telemetry). Revoking a credential breaks its consumers: the blast radius lists them.
package struct Consumer: Sendable, Equatable {
    package var id: ConsumerID
    package var name: String
    package var kind: ConsumerKind
    package var environment: String
    package var contact: String?
    /// The keys and credentials it holds.
    package var holds: [CredentialRef]
    package var createdAt: Date
    /// How to recognise it in verify telemetry (any entry matching makes a source this consumer).
    package var sources: [ConsumerSource]

    package init(id: ConsumerID, name: String, kind: ConsumerKind, environment: String, contact: String?, holds: [CredentialRef], createdAt: Date,
                 sources: [ConsumerSource] = []) {
        self.sources = sources
        self.id = id
        self.name = name
        self.kind = kind
        self.environment = environment
        self.contact = contact
        self.holds = holds
        self.createdAt = createdAt
    }
}
