import Foundation
import KeywardCore

/// Output formats of `keyward scan`. None of them carries a secret: previews are redacted and
/// fingerprints are HMACs under the scanner key.
package enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, sarif, csv
}

package enum Reporter {
    /// `suppressed`: findings an allow comment, the config or the baseline accounted for; JSON
    /// and SARIF list them as such, text and CSV leave them out.
    package static func render(_ findings: [Finding], suppressed: [Finding] = [], format: ReportFormat, rules: [Rule], stats: ScanStats) throws -> Data {
        switch format {
        case .text: return Data(text(findings).utf8)
        case .json: return try json(findings, suppressed: suppressed, stats: stats)
        case .sarif: return try Sarif.render(findings + suppressed, rules: rules)
        case .csv: return Data(csv(findings).utf8)
        }
    }

    /// One line per finding for a terminal: every field through `TerminalText.safe`, so a file
    /// name or commit author cannot carry escape sequences, bidi controls or a forged line.
    static func text(_ findings: [Finding]) -> String {
        findings.map { f in
            let t = { (s: String) in TerminalText.safe(s) }
            var s = "\(t(f.path)):\(f.line):\(f.columnStart): \(t(f.ruleId)) (\(t(f.name))) \(t(f.preview)) \(t(f.fingerprint)) [\(f.confidence.rawValue)]"
            if let c = f.commit { s += " commit \(t(String(c.prefix(12))))" + (f.author.map { " by \(t($0))" } ?? "") + (f.date.map { " on \(t($0))" } ?? "") }
            return s + "\n"
        }.joined()
    }

    static func json(_ findings: [Finding], suppressed: [Finding], stats: ScanStats) throws -> Data {
        struct Doc: Encodable {
            var version = 1
            var findings: [Finding]
            var suppressed: [Finding]
            var files: Int
            var bytes: Int
            var skippedBinary: Int
            enum CodingKeys: String, CodingKey { case version, findings, suppressed, files, bytes, skippedBinary = "skipped_binary" }
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(Doc(findings: findings, suppressed: suppressed, files: stats.files, bytes: stats.bytes, skippedBinary: stats.skippedBinary))
            + Data("\n".utf8)
    }

    static func csv(_ findings: [Finding]) -> String {
        func cell(_ s: String?) -> String {
            guard var s else { return "" }
            // Defuse spreadsheet formulas (CSV injection) and quote.
            if let f = s.first, "=+-@\t\r".contains(f) { s = "'" + s }
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var out = "rule_id,provider,path,line,column_start,column_end,commit,author,date,preview,fingerprint,confidence\n"
        for f in findings {
            out += [cell(f.ruleId), cell(f.provider), cell(f.path), String(f.line), String(f.columnStart), String(f.columnEnd),
                    cell(f.commit), cell(f.author), cell(f.date), cell(f.preview), cell(f.fingerprint), f.confidence.rawValue].joined(separator: ",") + "\n"
        }
        return out
    }
}
