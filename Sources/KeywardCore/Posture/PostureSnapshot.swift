import Foundation

/// A day's posture, kept for the trend: the overall score and each risk's score and finding count.
package struct PostureSnapshot: Sendable, Equatable, Codable {
    /// The UTC day, `YYYY-MM-DD`.
    package var day: String
    package var takenAt: Date
    package var overallScore: Int?
    package var risks: [Risk]

    package struct Risk: Sendable, Equatable, Codable {
        package var id: String
        package var score: Int?
        package var findings: Int
        package init(id: String, score: Int?, findings: Int) {
            self.id = id
            self.score = score
            self.findings = findings
        }
    }

    package init(day: String, takenAt: Date, overallScore: Int?, risks: [Risk]) {
        self.day = day
        self.takenAt = takenAt
        self.overallScore = overallScore
        self.risks = risks
    }

    package init(_ r: PostureReport) {
        self.init(day: Self.day(r.generatedAt), takenAt: r.generatedAt, overallScore: r.overallScore,
                  risks: r.risks.map { Risk(id: $0.risk.rawValue, score: $0.score, findings: $0.findings.count) })
    }

    /// `YYYY-MM-DD` of `date` in UTC.
    package static func day(_ date: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
