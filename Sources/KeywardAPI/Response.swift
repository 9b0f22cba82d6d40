import Foundation

// Wire types for issue 5: blast radius, incidents, consumers, imported credentials, webhooks.
// Memberwise `package init`s are written out because Swift synthesises them only as internal.

/// What breaks and what is reachable if a credential is revoked (or was leaked).
package struct BlastRadius: Codable, Sendable, Equatable {
    package struct Target: Codable, Sendable, Equatable {
        /// `key` or `credential`
        package var kind: String
        package var id: String
        package var version: Int?
        package var prefix: String
        package var provider: String
        package var environment: String
        package var status: String
        package init(kind: String, id: String, version: Int?, prefix: String, provider: String, environment: String, status: String) {
            self.kind = kind
            self.id = id
            self.version = version
            self.prefix = prefix
            self.provider = provider
            self.environment = environment
            self.status = status
        }
    }

    package struct Owner: Codable, Sendable, Equatable {
        package var identityId: String
        package var name: String
        package var kind: String
        package var businessOwner: String?
        package var technicalOwner: String?
        package var purpose: String?
        package var environment: String
        package var dataClassification: String
        package init(identityId: String, name: String, kind: String, businessOwner: String?, technicalOwner: String?, purpose: String?,
                     environment: String, dataClassification: String) {
            self.identityId = identityId
            self.name = name
            self.kind = kind
            self.businessOwner = businessOwner
            self.technicalOwner = technicalOwner
            self.purpose = purpose
            self.environment = environment
            self.dataClassification = dataClassification
        }
    }

    package struct Linked: Codable, Sendable, Equatable {
        /// `key`, `credential`, later `oauth_token`…
        package var kind: String
        package var id: String
        package var status: String
        package var environment: String?
        package var identityId: String?
        package init(kind: String, id: String, status: String, environment: String? = nil, identityId: String? = nil) {
            self.kind = kind
            self.id = id
            self.status = status
            self.environment = environment
            self.identityId = identityId
        }
    }

    package struct DeclaredConsumer: Codable, Sendable, Equatable {
        package var id: String
        package var name: String
        package var kind: String
        package var environment: String
        package var contact: String?
        package init(id: String, name: String, kind: String, environment: String, contact: String?) {
            self.id = id
            self.name = name
            self.kind = kind
            self.environment = environment
            self.contact = contact
        }
    }

    package struct ObservedConsumer: Codable, Sendable, Equatable {
        package var ip: String?
        package var userAgent: String?
        package var clientCertSubject: String?
        package var firstSeen: Date
        package var lastSeen: Date
        package var count: Int64
        /// True when no declared consumer claims this source (an undeclared holder).
        package var undeclared: Bool
        package init(ip: String?, userAgent: String?, clientCertSubject: String?, firstSeen: Date, lastSeen: Date, count: Int64, undeclared: Bool) {
            self.ip = ip
            self.userAgent = userAgent
            self.clientCertSubject = clientCertSubject
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.count = count
            self.undeclared = undeclared
        }
    }

    package var target: Target
    package var owner: Owner
    package var scopes: [String]
    /// What the scopes reach: the resource part of each `resource:action` scope.
    package var resources: [String]
    /// Credentials minted from this one that are still live (revoked with it).
    package var derivedCredentials: [Linked]
    package var declaredConsumers: [DeclaredConsumer]
    package var observedConsumers: [ObservedConsumer]
    /// The same secret registered elsewhere (other identities or environments).
    package var reuse: [Linked]
    /// Partners and third-party identities involved.
    package var thirdParties: [String]
    package init(target: Target, owner: Owner, scopes: [String], resources: [String], derivedCredentials: [Linked], declaredConsumers: [DeclaredConsumer],
                 observedConsumers: [ObservedConsumer], reuse: [Linked], thirdParties: [String]) {
        self.target = target
        self.owner = owner
        self.scopes = scopes
        self.resources = resources
        self.derivedCredentials = derivedCredentials
        self.declaredConsumers = declaredConsumers
        self.observedConsumers = observedConsumers
        self.reuse = reuse
        self.thirdParties = thirdParties
    }
}

/// A leaked key's recent use, from verify telemetry since the leak was first seen.
package struct Hunt: Codable, Sendable, Equatable {
    package struct ScopeUse: Codable, Sendable, Equatable {
        package var scope: String
        package var count: Int64
        package var firstSeen: Date
        package var lastSeen: Date
        package init(scope: String, count: Int64, firstSeen: Date, lastSeen: Date) {
            self.scope = scope
            self.count = count
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
        }
    }
    package var since: Date
    /// Verify outcomes since then (`valid`, `revoked`, `insufficient_scope`…).
    package var outcomes: [String: Int64]
    package var failures: Int64
    package var sources: [BlastRadius.ObservedConsumer]
    package var scopesUsed: [ScopeUse]
    package init(since: Date, outcomes: [String: Int64], failures: Int64, sources: [BlastRadius.ObservedConsumer], scopesUsed: [ScopeUse]) {
        self.since = since
        self.outcomes = outcomes
        self.failures = failures
        self.sources = sources
        self.scopesUsed = scopesUsed
    }
}

package struct IncidentEventDTO: Codable, Sendable, Equatable {
    package var at: Date
    package var kind: String
    package var detail: String
    package init(at: Date, kind: String, detail: String) {
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}

package struct IncidentResponse: Codable, Sendable {
    package var id: String
    package var status: String
    package var targetKind: String
    package var targetId: String
    package var targetVersion: Int?
    package var identityId: String
    package var environment: String
    package var source: String
    package var classification: String
    package var action: String
    package var receivedAt: Date
    package var matchedAt: Date
    package var containedAt: Date?
    package var notifiedAt: Date?
    /// Received → the credential no longer valid, in milliseconds.
    package var timeToContainMs: Int64?
    package var exposureCount: Int
    /// What to do next (issue a successor, revoke at the provider…).
    package var guidance: String
    package var timeline: [IncidentEventDTO]
    /// Present on `GET /v1/incidents/{id}`.
    package var blastRadius: BlastRadius?
    package var hunt: Hunt?
    package init(id: String, status: String, targetKind: String, targetId: String, targetVersion: Int?, identityId: String, environment: String,
                 source: String, classification: String, action: String, receivedAt: Date, matchedAt: Date, containedAt: Date?, notifiedAt: Date?,
                 timeToContainMs: Int64?, exposureCount: Int, guidance: String, timeline: [IncidentEventDTO], blastRadius: BlastRadius?, hunt: Hunt?) {
        self.id = id
        self.status = status
        self.targetKind = targetKind
        self.targetId = targetId
        self.targetVersion = targetVersion
        self.identityId = identityId
        self.environment = environment
        self.source = source
        self.classification = classification
        self.action = action
        self.receivedAt = receivedAt
        self.matchedAt = matchedAt
        self.containedAt = containedAt
        self.notifiedAt = notifiedAt
        self.timeToContainMs = timeToContainMs
        self.exposureCount = exposureCount
        self.guidance = guidance
        self.timeline = timeline
        self.blastRadius = blastRadius
        self.hunt = hunt
    }
}

package struct IncidentResolveRequest: Codable, Sendable {
    package var reason: String
    package init(reason: String) { self.reason = reason }
}

// MARK: consumers

package struct ConsumerCreateRequest: Codable, Sendable {
    package var name: String
    package var kind: String
    package var environment: String
    package var contact: String?
    /// Key ids and credential ids this consumer holds.
    package var holds: [String]?
    package init(name: String, kind: String, environment: String, contact: String?, holds: [String]?) {
        self.name = name
        self.kind = kind
        self.environment = environment
        self.contact = contact
        self.holds = holds
    }
}

package struct ConsumerResponse: Codable, Sendable {
    package var id: String
    package var name: String
    package var kind: String
    package var environment: String
    package var contact: String?
    package var holds: [String]
    package var createdAt: Date
    package init(id: String, name: String, kind: String, environment: String, contact: String?, holds: [String], createdAt: Date) {
        self.id = id
        self.name = name
        self.kind = kind
        self.environment = environment
        self.contact = contact
        self.holds = holds
        self.createdAt = createdAt
    }
}

// MARK: imported third-party credentials

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

// MARK: webhooks

package struct WebhookCreateRequest: Codable, Sendable {
    package var url: String
    /// incident.opened, incident.contained, key.revoked, key.rotated, key.expiring, or `*`.
    package var events: [String]
    package init(url: String, events: [String]) {
        self.url = url
        self.events = events
    }
}

package struct WebhookResponse: Codable, Sendable {
    package var id: String
    package var url: String
    package var events: [String]
    package var status: String
    package var createdAt: Date
    /// The signing secret: only in the response that creates the webhook.
    package var secret: String?
    package init(id: String, url: String, events: [String], status: String, createdAt: Date, secret: String?) {
        self.id = id
        self.url = url
        self.events = events
        self.status = status
        self.createdAt = createdAt
        self.secret = secret
    }
}

package struct WebhookDeliveryResponse: Codable, Sendable {
    package var id: String
    package var event: String
    package var status: String
    package var attempts: Int
    package var lastStatus: Int?
    package var lastError: String?
    package var createdAt: Date
    package var nextAttemptAt: Date?
    package var deliveredAt: Date?
    package init(id: String, event: String, status: String, attempts: Int, lastStatus: Int?, lastError: String?, createdAt: Date,
                 nextAttemptAt: Date?, deliveredAt: Date?) {
        self.id = id
        self.event = event
        self.status = status
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
    }
}

/// The body of every outgoing webhook.
package struct WebhookEvent: Codable, Sendable {
    package var id: String
    package var type: String
    package var createdAt: Date
    package var data: [String: String]
    package init(id: String, type: String, createdAt: Date, data: [String: String]) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.data = data
    }
}

// MARK: GitHub secret scanning partner program

/// One entry of GitHub's report (`[{token, type, url, source}]`).
package struct GitHubTokenReport: Codable, Sendable {
    package var token: String
    package var type: String
    package var url: String?
    package var source: String?
    package init(token: String, type: String, url: String?, source: String?) {
        self.token = token
        self.type = type
        self.url = url
        self.source = source
    }
}

/// GitHub's expected answer per entry: `{token_hash, token_type, label}`.
package struct GitHubTokenLabel: Codable, Sendable {
    package var tokenHash: String
    package var tokenType: String
    /// `true_positive` (a credential Keyward knows) or `false_positive`.
    package var label: String
    package init(tokenHash: String, tokenType: String, label: String) {
        self.tokenHash = tokenHash
        self.tokenType = tokenType
        self.label = label
    }
}
