import Foundation

// Wire types of incidents: their timeline, the hunt, resolution.
// Memberwise `package init`s are written out because Swift synthesises them only as internal.

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
