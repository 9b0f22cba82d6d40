import Foundation

// Wire types of the blast radius (GET /v1/keys/{id}/blast-radius, /v1/credentials/{id}/blast-radius).
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
