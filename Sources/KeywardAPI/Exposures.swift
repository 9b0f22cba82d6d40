import Foundation

/// `POST /v1/exposures`: scanner findings or leak intelligence. Never a plaintext from the
/// scanner: a SHA-256 digest for high-entropy formats, otherwise only rule and location.
package struct ExposureReport: Codable, Sendable {
    package enum Source: String, Codable, Sendable, CaseIterable { case scanner, paste, darknet, partner, `internal` }
    package var source: Source
    package var items: [ExposureItem]
    package init(source: Source, items: [ExposureItem]) {
        self.source = source
        self.items = items
    }
}

package struct ExposureItem: Codable, Sendable {
    package var ruleId: String
    package var provider: String?
    /// Lower-case hex SHA-256 of the secret (high-entropy formats only).
    package var sha256: String?
    /// With `sha256`: hex SHA-256 of "keyward-possession-v1:" followed by the secret, which only
    /// a holder of the plaintext can compute. A digest without it opens an incident but
    /// contains nothing unless an admin reports it (README: who may revoke).
    package var possessionProof: String?
    /// For a private key: the RFC 7638 SHA-256 thumbprint (base64url) of its public half — what
    /// the scanner reports instead of the key; matched to registered OAuth client keys.
    package var jwkThumbprint: String?
    /// The scanner's HMAC fingerprint (under the scanner's own key).
    package var fingerprint: String?
    package var path: String?
    package var line: Int?
    package var commit: String?
    package var url: String?
    package var firstSeen: Date?
    /// Leak intelligence only: the plaintext as found, accepted over TLS or from loopback,
    /// fingerprinted on arrival and dropped (never stored, logged or echoed).
    package var secret: String?
    package init(ruleId: String, provider: String? = nil, sha256: String? = nil, possessionProof: String? = nil, fingerprint: String? = nil,
                 path: String? = nil, line: Int? = nil, commit: String? = nil, url: String? = nil, firstSeen: Date? = nil, secret: String? = nil,
                 jwkThumbprint: String? = nil) {
        self.jwkThumbprint = jwkThumbprint
        self.possessionProof = possessionProof
        self.secret = secret
        self.ruleId = ruleId
        self.provider = provider
        self.sha256 = sha256
        self.fingerprint = fingerprint
        self.path = path
        self.line = line
        self.commit = commit
        self.url = url
        self.firstSeen = firstSeen
    }
}

package struct ExposureReceipt: Codable, Sendable {
    /// Items recorded by this call.
    package var accepted: Int
    /// Items already known (the same exposure delivered again).
    package var duplicates: Int
    /// Per item, in order: what it matched and what was done.
    package var results: [ExposureResult]?
    package init(accepted: Int, duplicates: Int, results: [ExposureResult]? = nil) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.results = results
    }
}

package struct ExposureResult: Codable, Sendable {
    package var exposureId: String
    package var duplicate: Bool
    /// valid, already_revoked, rotated, expired, already_quarantined, third_party, unknown, or
    /// `withheld`: a `keyward:report` key that showed no possession of the secret (a digest
    /// only) is not told whether the digest names a credential.
    package var classification: String
    package var incidentId: String?
    package static let withheld = "withheld"
    /// revoke, quarantine, notify (absent when nothing was done)
    package var action: String?
    /// Whether an incident this item opened was announced to anyone (an `incident.opened`
    /// webhook queued); absent when no incident was opened.
    package var notified: Bool?
    package init(exposureId: String, duplicate: Bool, classification: String, incidentId: String?, action: String?, notified: Bool? = nil) {
        self.exposureId = exposureId
        self.duplicate = duplicate
        self.classification = classification
        self.incidentId = incidentId
        self.action = action
        self.notified = notified
    }
}
