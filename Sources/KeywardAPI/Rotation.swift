import Foundation

// Wire types of rotation progress (issue 15): how a declared consumer is recognised in verify
// telemetry, and `GET /v1/keys/{id}/rotation`.

/// Exact values of what a resource server reports in verify's `source`; an entry matches a
/// source when every attribute it gives is equal.
package struct ConsumerSourceBody: Codable, Sendable, Equatable {
    package var ip: String?
    package var userAgent: String?
    package var clientCertSubject: String?
    package var clientCertThumbprint: String?
    package init(ip: String? = nil, userAgent: String? = nil, clientCertSubject: String? = nil, clientCertThumbprint: String? = nil) {
        self.ip = ip
        self.userAgent = userAgent
        self.clientCertSubject = clientCertSubject
        self.clientCertThumbprint = clientCertThumbprint
    }
}

/// `PATCH /v1/consumers/{id}`: replaces the consumer's match sources.
package struct ConsumerUpdateRequest: Codable, Sendable {
    package var sources: [ConsumerSourceBody]?
    package init(sources: [ConsumerSourceBody]?) { self.sources = sources }
}

package struct RotationConsumerResponse: Codable, Sendable {
    /// `csm_…` for a declared consumer; the telemetry source id for an observed one.
    package var id: String
    package var name: String
    /// `declared` or `observed`.
    package var kind: String
    /// `migrated`, `lagging`, `pending` or `unseen`.
    package var status: String
    package var lastOldUse: Date?
    package var lastNewUse: Date?
    package var oldUses: Int64
    package var newUses: Int64
    /// An observed consumer's reported attributes.
    package var source: ConsumerSourceBody?
    package init(id: String, name: String, kind: String, status: String, lastOldUse: Date?, lastNewUse: Date?, oldUses: Int64, newUses: Int64,
                 source: ConsumerSourceBody?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.status = status
        self.lastOldUse = lastOldUse
        self.lastNewUse = lastNewUse
        self.oldUses = oldUses
        self.newUses = newUses
        self.source = source
    }
}

/// `GET /v1/keys/{id}/rotation`: the key's latest rotation.
package struct KeyRotationResponse: Codable, Sendable {
    package var keyId: String
    package var fromVersion: Int
    package var toVersion: Int
    package var rotatedAt: Date
    /// The old version's grace end as it stands (moved by an early close or an extension).
    package var graceUntil: Date
    package var hardMaximumAt: Date
    package var quietPeriodSeconds: Int
    package var extensions: Int
    /// `open` or `closed`.
    package var state: String
    package var closedAt: Date?
    /// `migrated`, `grace_ended`, `hard_maximum` or `revoked`.
    package var closeReason: String?
    /// When an open window closes early if the old version stays unused (absent: a declared
    /// consumer is pending or lagging).
    package var closesIfQuietAt: Date?
    package var consumers: [RotationConsumerResponse]
    package init(keyId: String, fromVersion: Int, toVersion: Int, rotatedAt: Date, graceUntil: Date, hardMaximumAt: Date, quietPeriodSeconds: Int,
                 extensions: Int, state: String, closedAt: Date?, closeReason: String?, closesIfQuietAt: Date?, consumers: [RotationConsumerResponse]) {
        self.keyId = keyId
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.rotatedAt = rotatedAt
        self.graceUntil = graceUntil
        self.hardMaximumAt = hardMaximumAt
        self.quietPeriodSeconds = quietPeriodSeconds
        self.extensions = extensions
        self.state = state
        self.closedAt = closedAt
        self.closeReason = closeReason
        self.closesIfQuietAt = closesIfQuietAt
        self.consumers = consumers
    }
}
