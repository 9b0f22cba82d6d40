import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import Mustache
import NIOCore

/// The posture as one self-contained HTML file (`GET /v1/posture/report`, `keyward posture
/// --format html`): inline CSS and an inline SVG chart, no script and no external resource, so
/// it can be mailed or attached to an audit. Every value is escaped by Mustache's `{{…}}`.
enum PostureReportPage {
    static let template: MustacheTemplate? = {
        guard let url = Bundle.module.url(forResource: "posture-report", withExtension: "mustache", subdirectory: "templates"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return try? MustacheTemplate(string: text)
    }()

    /// The headers the page is served with: nothing may load or run, nor frame it.
    static let headers: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    /// The report as an HTTP answer, with `headers`.
    static func response(_ p: PostureResponse) throws -> Response {
        var fields: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: try render(p))))
    }

    static func render(_ p: PostureResponse) throws -> String {
        guard let template else { throw KeywardError(.internalError, "the posture report template is missing from the bundle") }
        let iso = ISO8601DateFormatter()
        let generated = iso.string(from: p.generatedAt)
        let all = p.risks.flatMap(\.findings)
        let (barMax, bars) = (400, Self.bars(p, barMax: 400))
        let risks: [[String: Any]] = p.risks.map { r in
            ["id": r.id, "title": r.title, "scoreText": r.score.map { "\($0) / 100" } ?? "no data", "findingCount": r.findings.count,
             "checksText": r.checks.joined(separator: "; "), "noData": r.noData, "hasFindings": !r.findings.isEmpty,
             "metricsText": r.metrics.map { "\($0.name.replacingOccurrences(of: "_", with: " ")): \(Self.number($0.value))" }.joined(separator: "; "),
             "findings": r.findings.map { f -> [String: Any] in
                 ["severity": f.severity, "subjectKind": f.subjectKind, "subjectName": f.subjectName ?? "", "subjectId": f.subjectId,
                  "owner": f.owner ?? "no owner", "evidence": f.evidence, "fix": f.fix]
             }]
        }
        let context: [String: Any] = [
            "generatedAt": generated, "generatedDay": String(generated.prefix(10)), "version": BuildInfo.version,
            "overall": p.overallScore.map { "\($0)" } ?? "–", "findingCount": all.count, "highCount": all.filter { $0.severity == "high" }.count,
            "chartWidth": 60 + barMax + 70, "chartHeight": 16 + p.risks.count * 24, "bars": bars, "risks": risks,
        ]
        return template.render(context)
    }

    /// One horizontal bar per risk (its score out of `barMax` pixels), for the report's and the console's inline SVG.
    static func bars(_ p: PostureResponse, barMax: Int) -> [[String: Any]] {
        p.risks.enumerated().map { i, r in
            let y = 8 + i * 24
            let width = (r.score ?? 0) * barMax / 100
            let color = r.score == nil ? "#d0d7de" : r.score! >= 85 ? "#2da44e" : r.score! >= 60 ? "#bf8700" : "#cf222e"
            return ["id": r.id, "y": y, "textY": y + 13, "width": width, "fullWidth": barMax, "color": color,
                    "labelX": 60 + barMax + 8, "label": r.score.map { "\($0)" } ?? "no data"]
        }
    }

    static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
}
