import Foundation

/// A recorded detection (`det_…`).
package struct DetectionID: TypedID {
    package static let prefix = "det"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}

package enum DetectionStatus: String, Sendable, Codable, CaseIterable {
    /// Raised; what the policy did still stands (a block until `blockedUntil`, a quarantine until released).
    case open
    /// An admin released it: the key is out of quarantine, the source unblocked.
    case released
}

/// A finding as recorded: what was seen, what the policy did, and who released it.
package struct DetectionRecord: Sendable, Equatable {
    package var id: DetectionID
    package var detector: DetectorKind
    package var action: DetectionAction
    package var status: DetectionStatus
    package var keyID: KeyID?
    package var clientID: OAuthClientID?
    package var identityID: IdentityID?
    package var environment: String?
    package var source: String?
    package var at: Date
    package var evidence: Finding.Evidence
    package var incidentID: IncidentID?
    package var blockedUntil: Date?
    package var releasedAt: Date?
    package var releasedBy: String?
    package var releaseReason: String?

    package init(id: DetectionID, detector: DetectorKind, action: DetectionAction, status: DetectionStatus, keyID: KeyID?, clientID: OAuthClientID?,
                 identityID: IdentityID?, environment: String?, source: String?, at: Date, evidence: Finding.Evidence, incidentID: IncidentID? = nil,
                 blockedUntil: Date? = nil, releasedAt: Date? = nil, releasedBy: String? = nil, releaseReason: String? = nil) {
        self.id = id
        self.detector = detector
        self.action = action
        self.status = status
        self.keyID = keyID
        self.clientID = clientID
        self.identityID = identityID
        self.environment = environment
        self.source = source
        self.at = at
        self.evidence = evidence
        self.incidentID = incidentID
        self.blockedUntil = blockedUntil
        self.releasedAt = releasedAt
        self.releasedBy = releasedBy
        self.releaseReason = releaseReason
    }
}

/// Which detections a list shows.
package struct DetectionFilter: Sendable {
    package var detector: DetectorKind?
    package var status: DetectionStatus?
    package var keyID: KeyID?
    package var identityID: IdentityID?
    package var source: String?
    package init(detector: DetectorKind? = nil, status: DetectionStatus? = nil, keyID: KeyID? = nil, identityID: IdentityID? = nil, source: String? = nil) {
        self.detector = detector
        self.status = status
        self.keyID = keyID
        self.identityID = identityID
        self.source = source
    }
}
