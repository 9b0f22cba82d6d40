import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// `keyward posture`: the inventory against the OWASP NHI Top 10, from `GET /v1/posture`.
struct PostureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posture", abstract: "Posture against the OWASP Non-Human Identities Top 10: a score and findings per risk, each naming the owner to ask and the fix.")
    @OptionGroup var client: ClientOptions
    @Option(help: "table (default), json, sarif (findings as SARIF 2.1.0 results, one rule per risk) or html (one self-contained file to mail or attach to an audit).")
    var format: String = "table"
    @Option(help: "Only findings of this severity or higher in the table: low, medium, high.") var severity: String = "low"
    @Option(help: "Instead, the daily snapshots of the last N days (1-366): the overall score and each risk's.") var trend: Int?

    func validate() throws {
        guard ["table", "json", "sarif", "html"].contains(format) else { throw ValidationError("--format must be table, json, sarif or html") }
        guard PostureSeverity(rawValue: severity) != nil else { throw ValidationError("--severity must be low, medium or high") }
        if let trend, !(1...366).contains(trend) { throw ValidationError("--trend must be from 1 to 366 days") }
    }

    func run() async throws {
        if let trend {
            let page = try await client.client().call("GET", "/v1/posture/trend?days=\(trend)", as: ListResponse<PostureSnapshotDTO>.self)
            if client.json || format == "json" { try Output.json(page); return }
            let ids = NHIRisk.allCases.map(\.rawValue)
            Output.table(["DAY", "OVERALL"] + ids, page.items.map { s in
                [s.day, s.overallScore.map(String.init) ?? "-"] + ids.map { id in s.risks.first { $0.id == id }?.score.map(String.init) ?? "-" }
            })
            return
        }
        if format == "html" {
            let reply = try await client.client().send(checked: "GET", "/v1/posture/report")
            FileHandle.standardOutput.write(reply.body)
            return
        }
        let p = try await client.client().call("GET", "/v1/posture", as: PostureResponse.self)
        if client.json || format == "json" { try Output.json(p); return }
        if format == "sarif" { print(String(decoding: try PostureSarif.document(p), as: UTF8.self)); return }
        let least = PostureSeverity(rawValue: severity) ?? .low
        Output.line("posture \(p.overallScore.map(String.init) ?? "-")/100 (\(Output.date(p.generatedAt)))")
        Output.table(["RISK", "SCORE", "FINDINGS", "TITLE"], p.risks.map {
            [$0.id, $0.score.map(String.init) ?? "no data", String($0.findings.count), $0.title]
        })
        for r in p.risks {
            let shown = r.findings.filter { (PostureSeverity(rawValue: $0.severity) ?? .low) >= least }
            guard !shown.isEmpty || !r.noData.isEmpty else { continue }
            print("")
            Output.line("\(r.id) \(r.title)")
            for n in r.noData { Output.line("  no data: \(n)") }
            if !shown.isEmpty {
                Output.table(["SEVERITY", "SUBJECT", "OWNER", "EVIDENCE", "FIX"], shown.map {
                    [$0.severity, "\($0.subjectKind) \($0.subjectName.map { "\($0) " } ?? "")\($0.subjectId)", $0.owner ?? "-", $0.evidence, $0.fix]
                })
            }
        }
    }
}

/// Posture findings as SARIF 2.1.0: one rule per OWASP risk, one result per finding, located
/// logically at its subject (no file: the finding is about the inventory).
enum PostureSarif {
    static func document(_ p: PostureResponse) throws -> Data {
        let rules: [[String: Any]] = p.risks.map { ["id": $0.id, "name": $0.title, "shortDescription": ["text": "OWASP NHI Top 10 \($0.id): \($0.title)"]] }
        let results: [[String: Any]] = p.risks.enumerated().flatMap { index, r in
            r.findings.map { f -> [String: Any] in
                let level = f.severity == "high" ? "error" : f.severity == "medium" ? "warning" : "note"
                return ["ruleId": r.id, "ruleIndex": index, "level": level,
                        "message": ["text": "\(f.subjectKind) \(f.subjectName.map { "\($0) (\(f.subjectId))" } ?? f.subjectId): \(f.evidence). Fix: \(f.fix)"],
                        "locations": [["logicalLocations": [["name": f.subjectId, "kind": f.subjectKind]]]],
                        "properties": ["owner": f.owner ?? "", "severity": f.severity]]
            }
        }
        let doc: [String: Any] = ["version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                                  "runs": [["tool": ["driver": ["name": "keyward-posture", "rules": rules]], "results": results]]]
        return try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
    }
}
