import Foundation

/// Known findings to ignore, keyed by rule id + fingerprint + path (not line numbers), so
/// moving code does not resurface them.
package struct Baseline: Codable, Sendable {
    package struct Entry: Codable, Sendable, Hashable {
        package var ruleId: String
        package var fingerprint: String
        package var path: String
        enum CodingKeys: String, CodingKey { case ruleId = "rule_id", fingerprint, path }
    }

    package var version: Int
    package var entries: [Entry]

    package init(findings: [Finding]) {
        version = 1
        entries = Array(Set(findings.map { Entry(ruleId: $0.ruleId, fingerprint: $0.fingerprint, path: $0.path) }))
            .sorted { ($0.path, $0.ruleId, $0.fingerprint) < ($1.path, $1.ruleId, $1.fingerprint) }
    }

    package static func load(_ path: String) throws -> Baseline {
        guard let data = FileManager.default.contents(atPath: path) else { throw ScanError.baseline("cannot read the baseline \(path)") }
        guard let b = try? JSONDecoder().decode(Baseline.self, from: data), b.version == 1 else {
            throw ScanError.baseline("\(path) is not a Keyward baseline (version 1: {version, entries: [{rule_id, fingerprint, path}]})")
        }
        return b
    }

    package func write(_ path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard FileManager.default.createFile(atPath: path, contents: try enc.encode(self) + Data("\n".utf8)) else {
            throw ScanError.baseline("cannot write the baseline \(path)")
        }
    }

    package func filter(_ findings: [Finding]) -> [Finding] {
        let known = Set(entries)
        return findings.filter { !known.contains(Entry(ruleId: $0.ruleId, fingerprint: $0.fingerprint, path: $0.path)) }
    }
}
