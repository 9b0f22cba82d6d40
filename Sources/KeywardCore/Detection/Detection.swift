import Foundation

/// What the verify point watches for (issue 15). The raw value is the wire's `detector`.
package enum DetectorKind: String, Sendable, CaseIterable, Codable {
    /// Many distinct unknown or malformed keys from one source: someone guessing keys.
    case enumeration
    /// Many failed verifications aimed at one identity, from any number of sources.
    case bruteForce = "brute_force"
    /// A key's calls in one minute far above what it has learned for this time of day.
    case volumeSpike = "volume_spike"
    /// A key's quarter-hour average climbing far above its learned baseline (a scraping ramp a
    /// per-minute threshold never sees).
    case volumeClimb = "volume_climb"
    /// A key with a stable history presented from an address, certificate subject or user agent
    /// it never used (not explained by a rotation's new version).
    case newSource = "new_source"
    /// One key asking for many scopes it does not hold.
    case scopeProbing = "scope_probing"
    /// One key touching far more distinct resource paths than it usually does (forward-auth).
    case objectEnumeration = "object_enumeration"
    /// A machine key used by a person: a browser's user agent, or an interactive tool at a human cadence.
    case humanUse = "human_use"
}

extension DetectorKind {
    /// Its position in `allCases` (a small fixed table per key is indexed by it).
    package var index: Int {
        switch self {
        case .enumeration: 0
        case .bruteForce: 1
        case .volumeSpike: 2
        case .volumeClimb: 3
        case .newSource: 4
        case .scopeProbing: 5
        case .objectEnumeration: 6
        case .humanUse: 7
        }
    }
}

/// What a detection does, by policy per detector and environment.
package enum DetectionAction: String, Sendable, CaseIterable, Codable {
    /// Record and announce only.
    case notify
    /// Refuse the offending source (verify answers `source_blocked`) for the block period.
    case block
    /// Quarantine the key (and its derived keys) and open an incident.
    case quarantine
    /// The detector does not run.
    case off
}

/// What a detector saw, with the evidence a person needs to judge it. Never a secret: sources are
/// addresses, user agents and certificate subjects the resource server reported; scopes and paths
/// are names.
package struct Finding: Sendable, Equatable {
    package var detector: DetectorKind
    package var at: Date
    package var keyID: KeyID?
    /// For an access token: its client.
    package var clientID: OAuthClientID?
    package var identityID: IdentityID?
    package var environment: KeyEnvironment?
    /// The source the finding is about (enumeration, new source, human use), if one.
    package var source: String?
    package var evidence: Evidence

    package init(detector: DetectorKind, at: Date, keyID: KeyID? = nil, clientID: OAuthClientID? = nil, identityID: IdentityID? = nil,
                 environment: KeyEnvironment? = nil, source: String? = nil, evidence: Evidence) {
        self.detector = detector
        self.at = at
        self.keyID = keyID
        self.clientID = clientID
        self.identityID = identityID
        self.environment = environment
        self.source = source
        self.evidence = evidence
    }

    /// The numbers behind a finding.
    package struct Evidence: Sendable, Equatable, Codable {
        /// The window the count was taken over, in seconds.
        package var windowSeconds: Int
        /// What was counted in it (calls, distinct keys, failures, distinct scopes or paths).
        package var count: Int
        /// What was expected (the learned baseline in the same unit), when there is one.
        package var baseline: Double?
        /// The count that would raise this finding.
        package var threshold: Double
        /// Sources involved (at most 8), or the new source.
        package var sources: [String]
        /// Names involved: scopes probed, reasons, the attribute that was new, paths sampled.
        package var items: [String]
        /// One sentence a person can read.
        package var summary: String

        package init(windowSeconds: Int, count: Int, baseline: Double? = nil, threshold: Double, sources: [String] = [], items: [String] = [],
                     summary: String) {
            self.windowSeconds = windowSeconds
            self.count = count
            self.baseline = baseline
            self.threshold = threshold
            self.sources = sources
            self.items = items
            self.summary = summary
        }
    }
}

/// One verify as the detectors see it: the answer given and who asked. Built by the verify point
/// after limits, so a detector sees what the caller was told.
package struct Observation: Sendable {
    /// Wall-clock milliseconds (detectors learn time-of-day baselines).
    package var at: Int64
    package var reason: VerifyReason?
    package var keyID: KeyID?
    package var clientID: OAuthClientID?
    package var version: Int?
    package var identityID: IdentityID?
    package var environment: KeyEnvironment?
    package var ip: String?
    package var userAgent: String?
    package var certSubject: String?
    /// The forwarded request's path (forward-auth), without its query.
    package var path: Substring?
    /// The scopes the caller asked for.
    package var required: [Scope]
    /// A hash of what was presented (distinct unknown keys), never the value.
    package var presentedHash: Int

    package init(at: Int64, reason: VerifyReason?, keyID: KeyID?, clientID: OAuthClientID? = nil, version: Int?, identityID: IdentityID?,
                 environment: KeyEnvironment?, ip: String?, userAgent: String?, certSubject: String?, path: Substring?, required: [Scope], presentedHash: Int) {
        self.at = at
        self.reason = reason
        self.keyID = keyID
        self.clientID = clientID
        self.version = version
        self.identityID = identityID
        self.environment = environment
        self.ip = ip
        self.userAgent = userAgent
        self.certSubject = certSubject
        self.path = path
        self.required = required
        self.presentedHash = presentedHash
    }

    /// A refusal that says the credential was wrong (not the caller's configuration or a limit):
    /// what enumeration and brute force count. Not `quarantined`: that is Keyward's own
    /// containment answering a key's usual callers, not someone guessing.
    package var isCredentialFailure: Bool {
        switch reason {
        case .malformed, .notFound, .revoked, .rotated, .expired, .bindingMismatch, .wrongAudience: true
        default: false
        }
    }
}
