import Foundation

/// `GET /v1/posture`: one entry per risk of the OWASP Non-Human Identities Top 10 (2025).
package struct PostureResponse: Codable, Sendable, Equatable {
    package var generatedAt: Date
    /// The mean of the scored risks (0–100); absent when none is scored.
    package var overallScore: Int?
    package var risks: [PostureRiskDTO]
    package init(generatedAt: Date, overallScore: Int?, risks: [PostureRiskDTO]) {
        self.generatedAt = generatedAt
        self.overallScore = overallScore
        self.risks = risks
    }
}

package struct PostureRiskDTO: Codable, Sendable, Equatable {
    /// NHI1 … NHI10.
    package var id: String
    package var title: String
    /// 100 minus the findings' weights (high 15, medium 5, low 2), at least 0.
    package var score: Int?
    package var checks: [String]
    /// What Keyward has no data for yet, said rather than scored.
    package var noData: [String]
    package var metrics: [PostureMetricDTO]
    package var findings: [PostureFindingDTO]
    package init(id: String, title: String, score: Int?, checks: [String], noData: [String], metrics: [PostureMetricDTO], findings: [PostureFindingDTO]) {
        self.id = id
        self.title = title
        self.score = score
        self.checks = checks
        self.noData = noData
        self.metrics = metrics
        self.findings = findings
    }
}

package struct PostureMetricDTO: Codable, Sendable, Equatable {
    package var name: String
    package var value: Double
    package init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

package struct PostureFindingDTO: Codable, Sendable, Equatable {
    /// identity, key, credential, client, incident or inventory.
    package var subjectKind: String
    package var subjectId: String
    package var subjectName: String?
    /// Who must act; absent when the identity has no owner.
    package var owner: String?
    /// low, medium or high.
    package var severity: String
    package var evidence: String
    package var fix: String
    package init(subjectKind: String, subjectId: String, subjectName: String?, owner: String?, severity: String, evidence: String, fix: String) {
        self.subjectKind = subjectKind
        self.subjectId = subjectId
        self.subjectName = subjectName
        self.owner = owner
        self.severity = severity
        self.evidence = evidence
        self.fix = fix
    }
}

/// One day of `GET /v1/posture/trend`.
package struct PostureSnapshotDTO: Codable, Sendable, Equatable {
    /// The UTC day, YYYY-MM-DD.
    package var day: String
    /// When the day's last posture was computed.
    package var takenAt: Date
    package var overallScore: Int?
    package var risks: [PostureSnapshotRiskDTO]
    package init(day: String, takenAt: Date, overallScore: Int?, risks: [PostureSnapshotRiskDTO]) {
        self.day = day
        self.takenAt = takenAt
        self.overallScore = overallScore
        self.risks = risks
    }
}

package struct PostureSnapshotRiskDTO: Codable, Sendable, Equatable {
    package var id: String
    package var score: Int?
    package var findings: Int
    package init(id: String, score: Int?, findings: Int) {
        self.id = id
        self.score = score
        self.findings = findings
    }
}

/// One identity of `GET /v1/reviews` (or the answer to a confirmation).
package struct ReviewItemResponse: Codable, Sendable, Equatable {
    package var identityId: String
    package var name: String
    package var kind: String
    package var environment: String
    /// Who must confirm it: the technical owner, else the business owner.
    package var owner: String?
    package var lastConfirmedAt: Date?
    package var dueAt: Date
    /// Whole days past due; negative while not yet due.
    package var overdueDays: Int
    package init(identityId: String, name: String, kind: String, environment: String, owner: String?, lastConfirmedAt: Date?, dueAt: Date, overdueDays: Int) {
        self.identityId = identityId
        self.name = name
        self.kind = kind
        self.environment = environment
        self.owner = owner
        self.lastConfirmedAt = lastConfirmedAt
        self.dueAt = dueAt
        self.overdueDays = overdueDays
    }
}

package struct IdentityConfirmRequest: Codable, Sendable {
    package var note: String?
    package init(note: String?) { self.note = note }
}
