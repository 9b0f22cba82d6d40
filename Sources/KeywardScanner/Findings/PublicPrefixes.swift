import Foundation

/// The public part of a secret format, if it has one: the literal tag a provider puts in
/// front of every secret of the format (`AKIA`, `ghp_`, `sk_live_`, `xoxb-`). Derived from the
/// rules' data: a rule has a public prefix when the secret of every one of its examples starts
/// (case-insensitively) with one of its keywords; the prefix shown for a secret is then the
/// secret's own leading characters for the longest keyword it starts with. A format without
/// one (an AWS secret key, a password) shows no characters at all.
package struct PublicPrefixes: Sendable {
    /// By rule index: the lower-cased keywords that are public prefixes, longest first; empty
    /// when the format has none.
    let byRule: [[String]]
    let index: [String: Int]

    package init(rules: [Rule]) {
        byRule = rules.map(Self.prefixKeywords)
        var index: [String: Int] = [:]
        for (i, r) in rules.enumerated() where index[r.id] == nil { index[r.id] = i }
        self.index = index
    }

    /// The public prefix of `secret` found by the rule at `rule` (an index), or "".
    package func prefix(of secret: [UInt8], rule: Int) -> String {
        guard byRule.indices.contains(rule) else { return "" }
        let head = String(decoding: secret.prefix(64), as: UTF8.self).lowercased()
        guard let k = byRule[rule].first(where: { head.hasPrefix($0) }) else { return "" }
        // The secret's own characters (its case), printable ASCII only.
        let own = String(decoding: secret.prefix(k.utf8.count), as: UTF8.self)
        return own.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) ? own : ""
    }

    /// The public-prefix keywords of the rule at `index` (tests).
    package func byRuleForTesting(_ index: Int) -> [String] { byRule[index] }

    /// The public prefix of `secret` under the rule with id `ruleID`, or "" (unknown rule too).
    package func prefix(of secret: [UInt8], ruleID: String?) -> String {
        guard let ruleID, let i = index[ruleID] else { return "" }
        return prefix(of: secret, rule: i)
    }

    /// The rule's keywords of 2 or more characters, when every example's secret starts with one
    /// of them; else none.
    static func prefixKeywords(_ rule: Rule) -> [String] {
        let keywords = Set(rule.keywords.map { $0.lowercased() }.filter { $0.count >= 2 }).sorted { ($0.count, $0) > ($1.count, $1) }
        guard !keywords.isEmpty, !rule.examples.isEmpty, let re = try? NSRegularExpression(pattern: rule.pattern) else { return [] }
        for example in rule.examples {
            let ns = example as NSString
            guard let m = re.firstMatch(in: example, range: NSRange(location: 0, length: ns.length)) else { return [] }
            let r = rule.secretGroup < m.numberOfRanges ? m.range(at: rule.secretGroup) : m.range
            guard r.location != NSNotFound else { return [] }
            let secret = ns.substring(with: r).lowercased()
            guard keywords.contains(where: secret.hasPrefix) else { return [] }
        }
        return keywords
    }
}
