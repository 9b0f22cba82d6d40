import Foundation

/// `.keyward.toml` at the scan root (or `--config FILE`): an allow-list and custom rules.
///
///     [[allow]]
///     paths = ["vendor/**", "Tests/Fixtures/**"]   # globs, relative to the config's folder
///     rules = ["generic.*"]                        # rule ids; * and ? as in globs
///     lines = ['fake_token\s*=']                   # regexes over the finding's line
///     reason = "vendored code, reviewed"           # required
///
///     [[rules]]
///     id = "acme.deploy-key"
///     provider = "acme"
///     name = "Acme deploy key"
///     pattern = '\b(acme_dk_[a-z0-9]{32})\b'
///     secret_group = 1
///     keywords = ["acme_dk_"]
///     high_entropy = true
///     examples = ["acme_dk_…"]                    # each must be found by this rule
///     negative_examples = ["acme_dk_example"]
///
///     confidence = "low"                           # top level: the least confidence reported
///                                                  # (default medium; --confidence wins)
///
/// A bad config is an error naming `file:line` (exit 2), never a silently weaker scan.
package struct RepositoryConfig: Sendable {
    package static let fileName = ".keyward.toml"

    package var path: String
    package var allow: [AllowList.Entry] = []
    package var rules: [Rule] = []
    /// The line of each custom rule's `[[rules]]` header, by id.
    package var ruleLines: [String: Int] = [:]
    /// The top-level `confidence`: the least confidence a scan reports (`--confidence` wins).
    package var confidence: Confidence?

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package static func load(_ path: String) throws(Failure) -> RepositoryConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read the config \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw Failure(description: "\(path): not UTF-8") }
        let tables: [TOMLSubset.Table]
        do { tables = try TOMLSubset.parse(text) } catch { throw Failure(description: "\(path):\(error.line): \(error.message)") }
        var config = RepositoryConfig(path: path)
        for t in tables {
            let at = { (key: String?) in "\(path):\(key.flatMap { t.lines[$0] } ?? t.line)" }
            switch t.name {
            case "" where t.values.isEmpty: continue
            case "" where Set(t.values.keys) == ["confidence"]:
                guard let c = try string(t, "confidence", at: at).flatMap(Confidence.init(rawValue:)) else {
                    throw Failure(description: "\(at("confidence")): confidence must be \"high\", \"medium\" or \"low\"")
                }
                config.confidence = c
            case "allow": config.allow.append(try allowEntry(t, at: at))
            case "rules":
                let rule = try customRule(t, at: at)
                guard config.ruleLines[rule.id] == nil else { throw Failure(description: "\(at("id")): rule \(rule.id) is defined twice") }
                config.rules.append(rule)
                config.ruleLines[rule.id] = t.line
            default:
                let what = t.name.isEmpty ? "key \(t.values.keys.sorted().joined(separator: ", "))" : "table [\(t.name)]"
                throw Failure(description: "\(at(t.name.isEmpty ? t.values.keys.sorted().first : nil)): unknown \(what) (expected confidence, [[allow]] or [[rules]])")
            }
        }
        return config
    }

    private static func allowEntry(_ t: TOMLSubset.Table, at: (String?) -> String) throws(Failure) -> AllowList.Entry {
        try known(t, ["paths", "rules", "lines", "reason"], at: at)
        guard let reason = try string(t, "reason", at: at), !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Failure(description: "\(at(nil)): an [[allow]] entry needs a reason")
        }
        var e = AllowList.Entry(reason: reason, source: at(nil))
        e.paths = try strings(t, "paths", at: at) ?? []
        e.rules = try strings(t, "rules", at: at) ?? []
        for p in try strings(t, "lines", at: at) ?? [] {
            do { e.lines.append(try NSRegularExpression(pattern: p)) } catch { throw Failure(description: "\(at("lines")): the regex \(p) does not compile") }
        }
        guard !(e.paths.isEmpty && e.rules.isEmpty && e.lines.isEmpty) else {
            throw Failure(description: "\(at(nil)): an [[allow]] entry needs paths, rules or lines (it would allow everything)")
        }
        return e
    }

    private static func customRule(_ t: TOMLSubset.Table, at: (String?) -> String) throws(Failure) -> Rule {
        try known(t, ["id", "provider", "name", "pattern", "secret_group", "keywords", "high_entropy", "min_entropy", "revocation",
                      "examples", "negative_examples"], at: at)
        func required(_ k: String) throws(Failure) -> String {
            guard let v = try string(t, k, at: at), !v.isEmpty else { throw Failure(description: "\(at(nil)): a rule needs \(k)") }
            return v
        }
        let id = try required("id")
        guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }), id.first?.isLetter == true else {
            throw Failure(description: "\(at("id")): a rule id is letters, digits, '.', '_' and '-', starting with a letter")
        }
        let pattern = try required("pattern")
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: pattern) } catch { throw Failure(description: "\(at("pattern")): rule \(id): the pattern does not compile") }
        var group = 0
        if case .integer(let g)? = t.values["secret_group"] { group = g } else if t.values["secret_group"] != nil {
            throw Failure(description: "\(at("secret_group")): secret_group must be an integer")
        }
        guard (0...regex.numberOfCaptureGroups).contains(group) else {
            throw Failure(description: "\(at("secret_group")): rule \(id): secret_group \(group) but the pattern has \(regex.numberOfCaptureGroups) groups")
        }
        var highEntropy = false
        if case .bool(let b)? = t.values["high_entropy"] { highEntropy = b } else if t.values["high_entropy"] != nil {
            throw Failure(description: "\(at("high_entropy")): high_entropy must be true or false")
        }
        var minEntropy: Double?
        switch t.values["min_entropy"] {
        case .float(let d)?: minEntropy = d
        case .integer(let n)?: minEntropy = Double(n)
        case nil: break
        default: throw Failure(description: "\(at("min_entropy")): min_entropy must be a number")
        }
        let examples = try strings(t, "examples", at: at) ?? []
        guard !examples.isEmpty else { throw Failure(description: "\(at(nil)): rule \(id) needs examples (each must be found by the rule)") }
        return Rule(id: id, provider: try required("provider"), name: try string(t, "name", at: at) ?? id, pattern: pattern, secretGroup: group,
                    keywords: try strings(t, "keywords", at: at) ?? [], highEntropy: highEntropy, minEntropy: minEntropy, checksum: nil,
                    revocation: try string(t, "revocation", at: at), examples: examples,
                    negativeExamples: try strings(t, "negative_examples", at: at) ?? [], generatedExamples: nil, token: nil)
    }

    private static func known(_ t: TOMLSubset.Table, _ keys: Set<String>, at: (String?) -> String) throws(Failure) {
        if let k = t.values.keys.sorted().first(where: { !keys.contains($0) }) {
            throw Failure(description: "\(at(k)): unknown key \(k) in [[\(t.name)]] (expected \(keys.sorted().joined(separator: ", ")))")
        }
    }

    private static func string(_ t: TOMLSubset.Table, _ k: String, at: (String?) -> String) throws(Failure) -> String? {
        guard let v = t.values[k] else { return nil }
        guard case .string(let s) = v else { throw Failure(description: "\(at(k)): \(k) must be a string") }
        return s
    }

    private static func strings(_ t: TOMLSubset.Table, _ k: String, at: (String?) -> String) throws(Failure) -> [String]? {
        guard let v = t.values[k] else { return nil }
        guard case .array(let items) = v else { throw Failure(description: "\(at(k)): \(k) must be an array of strings") }
        var out: [String] = []
        for i in items {
            guard case .string(let s) = i else { throw Failure(description: "\(at(k)): \(k) must be an array of strings") }
            out.append(s)
        }
        return out
    }
}
