import Foundation

/// The risks of the OWASP Non-Human Identities Top 10 (2025), in its order.
package enum NHIRisk: String, Sendable, CaseIterable, Codable {
    case nhi1 = "NHI1", nhi2 = "NHI2", nhi3 = "NHI3", nhi4 = "NHI4", nhi5 = "NHI5"
    case nhi6 = "NHI6", nhi7 = "NHI7", nhi8 = "NHI8", nhi9 = "NHI9", nhi10 = "NHI10"

    package var title: String {
        switch self {
        case .nhi1: "Improper offboarding"
        case .nhi2: "Secret leakage"
        case .nhi3: "Vulnerable third-party NHI"
        case .nhi4: "Insecure authentication"
        case .nhi5: "Overprivileged NHI"
        case .nhi6: "Insecure cloud deployment configurations"
        case .nhi7: "Long-lived secrets"
        case .nhi8: "Environment isolation"
        case .nhi9: "NHI reuse"
        case .nhi10: "Human use of NHI"
        }
    }
}

package enum PostureSeverity: String, Sendable, Codable, Comparable {
    case low, medium, high

    /// Points a finding takes off its risk's score of 100.
    var weight: Int {
        switch self {
        case .low: 2
        case .medium: 5
        case .high: 15
        }
    }

    package static func < (a: Self, b: Self) -> Bool { a.weight < b.weight }
}

/// What a posture finding is about: an identity, a key, an imported credential, an OAuth
/// client, an incident, or the inventory as a whole.
package struct PostureSubject: Sendable, Equatable, Codable {
    package var kind: String
    package var id: String
    package var name: String?

    package init(kind: String, id: String, name: String?) {
        self.kind = kind
        self.id = id
        self.name = name
    }
}

package struct PostureFinding: Sendable, Equatable {
    package var subject: PostureSubject
    /// Who must act: the identity's technical owner, else its business owner; nil when it has neither.
    package var owner: String?
    package var severity: PostureSeverity
    package var evidence: String
    package var fix: String

    package init(subject: PostureSubject, owner: String?, severity: PostureSeverity, evidence: String, fix: String) {
        self.subject = subject
        self.owner = owner
        self.severity = severity
        self.evidence = evidence
        self.fix = fix
    }
}

package struct RiskPosture: Sendable, Equatable {
    package var risk: NHIRisk
    /// 100 minus the findings' weights (high 15, medium 5, low 2), at least 0; nil when
    /// Keyward has none of the data the check needs.
    package var score: Int?
    package var findings: [PostureFinding]
    /// What this check looked at.
    package var checks: [String]
    /// Parts of the risk Keyward has no data for yet, said rather than scored as zero findings.
    package var noData: [String]
    /// Figures that describe the risk (time to contain, counts), by name.
    package var metrics: [String: Double]
}

package struct PostureReport: Sendable, Equatable {
    package var generatedAt: Date
    package var risks: [RiskPosture]
    /// The mean of the scored risks' scores, rounded; nil when none is scored.
    package var overallScore: Int? {
        let scored = risks.compactMap(\.score)
        return scored.isEmpty ? nil : Int((Double(scored.reduce(0, +)) / Double(scored.count)).rounded())
    }
}

/// Thresholds the posture checks use.
package struct PosturePolicy: Sendable, Equatable {
    /// A secret (key version, imported credential) older than this is long-lived (NHI7).
    package var maxSecretAgeDays: Int = 90
    /// An identity with live credentials none of which was used for this long is unused (NHI1).
    package var unusedDays: Int = 90
    /// Identity environments counted as production (NHI8).
    package var productionEnvironments: Set<String> = ["production", "prod", "live"]

    package init() {}
}
