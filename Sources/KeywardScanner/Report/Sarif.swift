import Foundation

/// SARIF 2.1.0 as GitHub code scanning accepts it: one run, the rules that fired in
/// `tool.driver.rules`, results with a physical location and `partialFingerprints`
/// carrying the HMAC fingerprint (never the secret or a bare hash of it); suppressed findings
/// carry `suppressions`.
enum Sarif {
    static func render(_ findings: [Finding], rules: [Rule]) throws -> Data {
        let fired = Set(findings.map(\.ruleId))
        let used = rules.filter { fired.contains($0.id) }
        let index = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1.id, $0) })
        let driverRules: [[String: Any]] = used.map { r in
            var rule: [String: Any] = [
                "id": r.id, "name": r.id.replacingOccurrences(of: ".", with: "_"),
                "shortDescription": ["text": r.name],
                "fullDescription": ["text": "\(r.name) (provider: \(r.provider))."],
                "defaultConfiguration": ["level": "error"],
                "properties": ["tags": ["security", "secret", r.provider], "security-severity": r.highEntropy ? "9.0" : "7.0", "precision": "high"],
            ]
            if let rev = r.revocation { rule["help"] = ["text": "Revoke or rotate it: \(rev)"] }
            return rule
        }
        let results: [[String: Any]] = findings.map { f in
            var region: [String: Any] = ["startLine": f.line, "startColumn": f.columnStart, "endLine": f.endLine, "endColumn": max(f.columnEnd, 1)]
            if f.endLine == f.line && f.columnEnd <= f.columnStart { region["endColumn"] = f.columnStart + 1 }
            var result: [String: Any] = [
                // SARIF §3.27.10: error for what is surely a secret, warning and note below it.
                "ruleId": f.ruleId, "ruleIndex": index[f.ruleId] ?? 0, "level": level(f.confidence),
                "message": ["text": "\(f.name) found: \(f.preview). Revoke it at the provider and remove it from the code and history."],
                "locations": [["physicalLocation": ["artifactLocation": ["uri": uri(f.path)], "region": region]]],
                "partialFingerprints": ["keywardFingerprint/v1": f.fingerprint],
            ]
            var properties: [String: Any] = ["confidence": f.confidence.rawValue]
            if let c = f.commit { properties.merge(["commit": c, "author": f.author ?? "", "date": f.date ?? ""]) { a, _ in a } }
            result["properties"] = properties
            // SARIF §3.27.23: a suppressed result stays in the log, marked with its justification.
            if let sup = f.suppression { result["suppressions"] = [["kind": sup.sarifKind, "justification": sup.justification]] }
            return result
        }
        let doc: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": ["name": "keyward", "informationUri": "https://example.invalid/keyward", "semanticVersion": "0.1.0", "rules": driverRules]],
                "results": results,
                "columnKind": "utf16CodeUnits",
            ]],
        ]
        return try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) + Data("\n".utf8)
    }

    static func level(_ c: Confidence) -> String {
        switch c {
        case .high: "error"
        case .medium: "warning"
        case .low: "note"
        }
    }

    /// A relative URI: path segments percent-encoded, no leading "./".
    static func uri(_ path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#[]")
        return p.addingPercentEncoding(withAllowedCharacters: allowed) ?? p
    }
}
