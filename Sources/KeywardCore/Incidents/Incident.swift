import Foundation

package enum IncidentStatus: String, Sendable, Codable, CaseIterable {
    /// Matched, not contained (notify-only, or a third-party credential awaiting its owner).
    case open
    /// The credential is no longer trusted (revoked or quarantined).
    case contained
    /// Closed by a person.
    case resolved
}

/// One entry of an incident's timeline.
package struct IncidentEvent: Sendable, Equatable, Codable {
    package var at: Date
    /// received, matched, contained, notified, exposure_added, resolved
    package var kind: String
    package var detail: String
    package init(at: Date, kind: String, detail: String) {
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}

/// A leak matched to a credential in the inventory, with what was done and how long it took.
/// The blast radius and the hunt are kept as they were when the incident opened (JSON in the
/// wire format; the store does not interpret them).
package struct Incident: Sendable, Equatable {
    package var id: IncidentID
    package var status: IncidentStatus
    /// The leaked key or credential.
    package var target: CredentialRef
    package var targetVersion: Int?
    package var identityID: IdentityID
    package var environment: String
    package var source: String
    package var classification: ExposureClassification
    package var action: ContainmentAction
    package var receivedAt: Date
    package var matchedAt: Date
    package var containedAt: Date?
    package var notifiedAt: Date?
    package var exposureCount: Int
    package var blastRadiusJSON: String
    package var huntJSON: String
    package var guidance: String
    package var events: [IncidentEvent]
    package var createdAt: Date
    package var updatedAt: Date

    /// Received → the credential no longer valid, in milliseconds (nil while not contained).
    package var timeToContainMillis: Int64? {
        containedAt.map { $0.unixMillis - receivedAt.unixMillis }
    }

    package init(id: IncidentID, status: IncidentStatus, target: CredentialRef, targetVersion: Int?, identityID: IdentityID,
                 environment: String, source: String, classification: ExposureClassification, action: ContainmentAction,
                 receivedAt: Date, matchedAt: Date, containedAt: Date?, notifiedAt: Date?, exposureCount: Int,
                 blastRadiusJSON: String, huntJSON: String, guidance: String, events: [IncidentEvent], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.status = status
        self.target = target
        self.targetVersion = targetVersion
        self.identityID = identityID
        self.environment = environment
        self.source = source
        self.classification = classification
        self.action = action
        self.receivedAt = receivedAt
        self.matchedAt = matchedAt
        self.containedAt = containedAt
        self.notifiedAt = notifiedAt
        self.exposureCount = exposureCount
        self.blastRadiusJSON = blastRadiusJSON
        self.huntJSON = huntJSON
        self.guidance = guidance
        self.events = events
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
