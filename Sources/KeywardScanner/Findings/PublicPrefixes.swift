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
        heads = rules.map(Self.literalHead)
        var index: [String: Int] = [:]
        for (i, r) in rules.enumerated() where index[r.id] == nil { index[r.id] = i }
        self.index = index
    }

    /// By rule index: the literal head of the rule's secret group as an anchored regex
    /// (`^sk-(?:proj|None)-`), when the pattern starts the secret with one.
    let heads: [NSRegularExpression?]

    /// The public prefix of `secret` found by the rule at `rule` (an index), or "": the
    /// longer of the keyword tag and the pattern's literal head that the secret starts with.
    package func prefix(of secret: [UInt8], rule: Int) -> String {
        guard byRule.indices.contains(rule) else { return "" }
        let text = String(decoding: secret.prefix(64), as: UTF8.self)
        let lower = text.lowercased()
        var length = byRule[rule].first(where: { lower.hasPrefix($0) })?.utf8.count ?? 0
        if let head = heads[rule], let m = head.firstMatch(in: text, range: NSRange(location: 0, length: (text as NSString).length)) {
            length = max(length, (text as NSString).substring(with: m.range).utf8.count)
        }
        guard length > 0 else { return "" }
        // The secret's own characters (its case), printable ASCII only.
        let own = String(decoding: secret.prefix(length), as: UTF8.self)
        return own.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) ? own : ""
    }

    /// The literal text a rule's pattern puts at the start of its secret group — plain or
    /// escaped characters and groups of literal alternatives, up to the first class or
    /// quantifier — as an anchored regex, if it is at least 3 characters; generic rules have none.
    // Written here: NSRegularExpression exposes no parse tree, and this reads only the simple heads rules use.
    static func literalHead(_ rule: Rule) -> NSRegularExpression? {
        guard !rule.isGeneric, let open = rule.secretGroup == 0 ? -1 : groupStart(rule.pattern, group: rule.secretGroup) else { return nil }
        let p = Array(rule.pattern)
        var i = open + 1, head = "", minLength = 0
        let meta: Set<Character> = ["[", "]", "(", ")", "|", "?", "*", "+", "{", "}", ".", "^", "$", "\\"]
        func quantified(_ j: Int) -> Bool { j < p.count && ["?", "*", "+", "{"].contains(p[j]) }
        while i < p.count {
            if p[i] == "\\", i + 1 < p.count, !p[i + 1].isLetter, !p[i + 1].isNumber {
                if quantified(i + 2) { break }
                head += "\\" + String(p[i + 1]); minLength += 1; i += 2
            } else if !meta.contains(p[i]) {
                if quantified(i + 1) { break }
                head += NSRegularExpression.escapedPattern(for: String(p[i])); minLength += 1; i += 1
            } else if p[i] == "(", i + 2 < p.count, p[i + 1] == "?", p[i + 2] == ":",
                      let close = p[(i + 3)...].firstIndex(of: ")"), !quantified(close + 1) {
                let alternatives = String(p[(i + 3)..<close]).split(separator: "|", omittingEmptySubsequences: false)
                guard !alternatives.isEmpty, alternatives.allSatisfy({ !$0.isEmpty && $0.allSatisfy { !meta.contains($0) } }) else { break }
                head += "(?:" + alternatives.map { NSRegularExpression.escapedPattern(for: String($0)) }.joined(separator: "|") + ")"
                minLength += alternatives.map(\.count).min() ?? 0
                i = close + 1
            } else {
                break
            }
        }
        guard minLength >= 3 else { return nil }
        let caseless = rule.pattern.hasPrefix("(?i)")
        return try? NSRegularExpression(pattern: "^" + head, options: caseless ? [.caseInsensitive] : [])
    }

    /// Where the `group`-th capturing group opens in `pattern` (escapes and classes skipped).
    static func groupStart(_ pattern: String, group: Int) -> Int? {
        let p = Array(pattern)
        var i = 0, n = 0, inClass = false
        while i < p.count {
            switch p[i] {
            case "\\": i += 1
            case "[" where !inClass: inClass = true
            case "]" where inClass: inClass = false
            case "(" where !inClass:
                if i + 1 < p.count, p[i + 1] == "?" {
                    // (?<name>…) captures; (?:…), (?=…), (?i) and the like do not.
                    if i + 2 < p.count, p[i + 2] == "<", i + 3 < p.count, p[i + 3] != "=", p[i + 3] != "!" { n += 1; if n == group { return i } }
                } else {
                    n += 1
                    if n == group { return i }
                }
            default: break
            }
            i += 1
        }
        return nil
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
