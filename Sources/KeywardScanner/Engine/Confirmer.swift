import Foundation

/// The confirm stage (scripts/check_rules.py, "How a finding is made", steps 2–5): runs only on
/// Hyperscan's candidates.
package final class Confirmer: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after creation and safe to use from many threads.
    let rules: [Rule]
    private let fullMatch: [NSRegularExpression]
    private let placeholders: [NSRegularExpression]
    private let placeholderWords: Set<String>
    private let docExamples: [[UInt8]]

    package init(_ set: RuleSet) throws {
        rules = set.rules
        fullMatch = try set.rules.map { r in
            // `\z`: a match ending where the region ends (see `matchEndingAt`).
            do { return try NSRegularExpression(pattern: "(?:\(r.pattern))\\z") } catch {
                throw ScanError.rules("rule \(r.id): pattern does not compile for the confirm stage")
            }
        }
        placeholders = try set.filters.placeholderPatterns.map { p in
            do { return try NSRegularExpression(pattern: p) } catch { throw ScanError.rules("a placeholder pattern does not compile") }
        }
        placeholderWords = Set(set.filters.placeholderWords.map { $0.lowercased() })
        docExamples = set.filters.docExamples.map { Array($0.utf8) }
    }

    /// A candidate that passed the full match: its secret span (absolute offsets).
    struct Matched {
        var rule: Int
        var from: Int
        var to: Int
        var secretFrom: Int
        var secretTo: Int
        /// The decoded secret when it was found inside a base64 run (the spans are the run).
        var decoded: [UInt8]? = nil
        /// Step 6, set once the candidate is confirmed.
        var confidence: Confidence = .high
    }

    /// Step 6: the rule's confidence, lowered by its checksum (a JWT with alg "none") and, for a
    /// generic rule, to low when the secret is not clearly random.
    func withConfidence(_ m: Matched, in data: UnsafeRawBufferPointer) -> Matched {
        let rule = rules[m.rule]
        let secret = Array(data[m.secretFrom..<m.secretTo])
        var c = rule.confidence ?? .high
        if let name = rule.checksum { c = min(c, Checksums.confidence(name, secret)) }
        if rule.isGeneric && !Confidence.looksRandom(secret, entropy: Self.entropy(secret)) { c = .low }
        var out = m
        out.confidence = c
        return out
    }

    /// Steps 1 and 2: the leftmost match of the rule that ends exactly at `to` (where Hyperscan
    /// reported one), searched in the `window` bytes before it (the rule's longest match), and
    /// its secret span; nil when there is none. One byte either side is context for `\b`.
    func matchEndingAt(rule: Int, to: Int, in data: UnsafeRawBufferPointer, window: Int) -> Matched? {
        let from = max(0, to - window), lo = max(0, from - 1), hi = min(data.count, to + 1)
        // Latin-1 keeps one UTF-16 unit per byte, so offsets carry over unchanged.
        guard to > from, let text = String(bytes: UnsafeRawBufferPointer(rebasing: data[lo..<hi]), encoding: .isoLatin1) else { return nil }
        let region = NSRange(location: from - lo, length: to - from)
        // `\z` at the region's end (anchoring bounds), transparent bounds for the context.
        guard let m = fullMatch[rule].firstMatch(in: text, options: [.withTransparentBounds], range: region) else { return nil }
        let g = rules[rule].secretGroup
        let r = g < m.numberOfRanges ? m.range(at: g) : m.range
        guard r.location != NSNotFound, r.length > 0 else { return nil }
        return Matched(rule: rule, from: lo + m.range.location, to: to, secretFrom: lo + r.location, secretTo: lo + r.location + r.length)
    }

    /// Step 3: filters on the secret. True when the secret survives.
    func survives(_ m: Matched, in data: UnsafeRawBufferPointer) -> Bool {
        let secret = Array(data[m.secretFrom..<m.secretTo])
        let rule = rules[m.rule]
        for ex in docExamples where secret.count >= ex.count && contains(secret, ex) { return false }
        let text = String(decoding: secret, as: UTF8.self)
        let range = NSRange(location: 0, length: (text as NSString).length)
        for p in placeholders where p.firstMatch(in: text, range: range) != nil { return false }
        // In a secret of 32 bytes or more, base64's `+`, `/`, `=` and an escaped newline's `\` do
        // not split words: a real key's body holds `+nil+` or `/foo/` by chance (about one random
        // RSA key in a thousand). A short value still splits there (`prod/db/password`).
        let base64Joins = secret.count >= 32
        var token: [UInt8] = []
        for b in secret + [0x20] {
            let c = (0x41...0x5A).contains(b) ? b + 32 : b
            if (0x30...0x39).contains(c) || (0x61...0x7A).contains(c) || (base64Joins && (c == 0x2B || c == 0x2F || c == 0x3D || c == 0x5C)) {
                token.append(c)
            } else if !token.isEmpty {
                if placeholderWords.contains(String(decoding: token, as: UTF8.self)) { return false }
                token.removeAll(keepingCapacity: true)
            }
        }
        if let min = rule.minEntropy, Self.entropy(secret) < min { return false }
        if let c = rule.checksum, !Checksums.verify(c, secret) { return false }
        return true
    }

    /// Shannon entropy in bits per byte.
    static func entropy(_ s: [UInt8]) -> Double {
        guard !s.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for b in s { counts[Int(b)] += 1 }
        let n = Double(s.count)
        return counts.reduce(0.0) { acc, c in c == 0 ? acc : acc - (Double(c) / n) * log2(Double(c) / n) }
    }

    private func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count else { return needle.isEmpty }
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// Steps 4 and 5 over one input's matched candidates: generic fallbacks yield to specific
    /// rules on the same span; overlapping confirmed findings merge (specific, then longest,
    /// then load order).
    func resolve(matched: [Matched], confirmed: [Matched]) -> [Matched] {
        let specific = matched.filter { !rules[$0.rule].isGeneric }
        var kept = confirmed.filter { c in
            !rules[c.rule].isGeneric || !specific.contains { $0.secretFrom < c.secretTo && c.secretFrom < $0.secretTo }
        }
        kept.sort { a, b in
            let ga = rules[a.rule].isGeneric, gb = rules[b.rule].isGeneric
            if ga != gb { return !ga }
            // A rule whose checksum verified is the most exact statement about a secret.
            let ca = rules[a.rule].checksum != nil, cb = rules[b.rule].checksum != nil
            if ca != cb { return ca }
            if (a.to - a.from) != (b.to - b.from) { return (a.to - a.from) > (b.to - b.from) }
            return a.rule < b.rule
        }
        var out: [Matched] = []
        for c in kept where !out.contains(where: { $0.secretFrom < c.secretTo && c.secretFrom < $0.secretTo }) {
            out.append(c)
        }
        return out.sorted { $0.secretFrom < $1.secretFrom }
    }
}
