import Foundation

// Wire types of detections (issue 15): what a detector at the verify point found, with its
// evidence, what the policy did, and its release.

package struct DetectionEvidenceDTO: Codable, Sendable, Equatable {
    package var windowSeconds: Int
    package var count: Int
    package var baseline: Double?
    package var threshold: Double
    package var sources: [String]
    package var items: [String]
    package var summary: String
    package init(windowSeconds: Int, count: Int, baseline: Double?, threshold: Double, sources: [String], items: [String], summary: String) {
        self.windowSeconds = windowSeconds
        self.count = count
        self.baseline = baseline
        self.threshold = threshold
        self.sources = sources
        self.items = items
        self.summary = summary
    }
}

package struct DetectionResponse: Codable, Sendable, Equatable {
    package var id: String
    package var detector: String
    /// What the policy did: notify, block, quarantine.
    package var action: String
    /// open or released.
    package var status: String
    package var keyId: String?
    package var clientId: String?
    package var identityId: String?
    package var environment: String?
    package var source: String?
    package var at: Date
    package var evidence: DetectionEvidenceDTO
    package var incidentId: String?
    package var blockedUntil: Date?
    package var releasedAt: Date?
    package var releasedBy: String?
    package var releaseReason: String?
    package init(id: String, detector: String, action: String, status: String, keyId: String?, clientId: String?, identityId: String?,
                 environment: String?, source: String?, at: Date, evidence: DetectionEvidenceDTO, incidentId: String?, blockedUntil: Date?,
                 releasedAt: Date?, releasedBy: String?, releaseReason: String?) {
        self.id = id
        self.detector = detector
        self.action = action
        self.status = status
        self.keyId = keyId
        self.clientId = clientId
        self.identityId = identityId
        self.environment = environment
        self.source = source
        self.at = at
        self.evidence = evidence
        self.incidentId = incidentId
        self.blockedUntil = blockedUntil
        self.releasedAt = releasedAt
        self.releasedBy = releasedBy
        self.releaseReason = releaseReason
    }
}

package struct DetectionReleaseRequest: Codable, Sendable {
    package var reason: String
    package init(reason: String) { self.reason = reason }
}
