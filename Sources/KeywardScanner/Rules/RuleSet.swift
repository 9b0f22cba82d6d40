import Crypto
import Foundation
import KeywardCore

/// Every built-in rule, in load order (files by name, rules in file order), and the filters.
package struct RuleSet: Sendable {
    package let rules: [Rule]
    package let filters: RuleFilters
    /// SHA-256 over the rule files' bytes (and a repository config's custom rules).
    package let digest: String
    /// Consecutive ranges of `rules` compiled into databases of their own: the built-in rules,
    /// then a repository config's custom rules, so a config never recompiles the built-ins.
    package let layers: [Range<Int>]

    package init(rules: [Rule], filters: RuleFilters, digest: String, layers: [Range<Int>]? = nil) {
        self.rules = rules
        self.filters = filters
        self.digest = digest
        self.layers = layers ?? [rules.indices]
    }

    package static func builtIn() throws -> RuleSet {
        guard let dir = Bundle.module.url(forResource: "rules", withExtension: nil) else {
            throw ScanError.rules("the built-in rules are missing from the bundle")
        }
        return try load(directory: dir)
    }

    package static func load(directory: URL) throws -> RuleSet {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        var rules: [Rule] = []
        var filters: RuleFilters?
        var hasher = SHA256()
        struct File: Decodable { var rules: [Rule] }
        for name in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            hasher.update(data: Array(name.utf8))
            hasher.update(data: data)
            do {
                if name == "_filters.json" {
                    filters = try JSONDecoder().decode(RuleFilters.self, from: data)
                } else {
                    rules += try JSONDecoder().decode(File.self, from: data).rules
                }
            } catch {
                throw ScanError.rules("rule file \(name) is not valid: \(error)")
            }
        }
        guard let filters else { throw ScanError.rules("_filters.json is missing") }
        var seen = Set<String>()
        for r in rules where !seen.insert(r.id).inserted { throw ScanError.rules("duplicate rule id \(r.id)") }
        return RuleSet(rules: rules, filters: filters, digest: Hex.encode(Array(hasher.finalize())))
    }
}

package enum ScanError: Error, CustomStringConvertible {
    case rules(String)
    case engine(String)
    case input(String)
    case baseline(String)

    package var description: String {
        switch self {
        case .rules(let m), .engine(let m), .input(let m), .baseline(let m): return m
        }
    }
}
