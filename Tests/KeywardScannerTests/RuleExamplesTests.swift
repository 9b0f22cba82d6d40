import Foundation
import KeywardCore
import KeywardScanner
import KeywardTesting
import Testing

/// Every built-in rule compiles (all together, one Hyperscan database) and every example and
/// negative example behaves (case 61 of docs/security-cases.md).
@Suite("Built-in rules")
struct RuleExamplesTests {
    /// Built once (about 20 s), on first use: touch it only after `built()`.
    static let scanner: SecretScanner = try! SecretScanner(ruleSet: RuleSet.builtIn(), cacheDirectory: KeywardBinary.ruleCache)
    /// Builds `scanner` on a thread of its own: the compile, and every other test's wait for it,
    /// must not hold the cooperative threads the in-process servers of other suites run on.
    static func built() async -> SecretScanner { await onOwnThread { scanner } }

    static func findings(_ text: String) throws -> [SecretHit] {
        let worker = try scanner.makeWorker()
        return try Array(text.utf8).withUnsafeBytes { try scanner.scan($0, worker: worker) }
    }

    @Test("at least 150 rules with unique ids, keywords, and examples")
    func inventory() async throws {
        _ = await Self.built()
        let rules = Self.scanner.rules
        #expect(rules.count >= 150)
        #expect(Set(rules.map(\.id)).count == rules.count)
        for r in rules {
            #expect(r.examples.count >= 2 || !(r.generatedExamples ?? []).isEmpty, "\(r.id) needs examples")
            #expect(r.negativeExamples.count >= 2, "\(r.id) needs negative examples")
            #expect(!r.keywords.isEmpty, "\(r.id) needs keywords")
        }
        #expect(rules.contains { $0.id.hasPrefix("keyward.") && $0.checksum == "keyward-crc32" })
    }

    @Test("token rules (found inside alphabet runs, not by the detect database) find every example among look-alike noise, at any place")
    func tokenRules() async throws {
        _ = await Self.built()
        let rules = Self.scanner.rules
        let tokenRules = rules.indices.filter { rules[$0].token != nil }
        #expect(tokenRules.count >= 3)
        var rng = SeededRandom()
        func noise() -> String {
            // Long runs of each alphabet that are not secrets: hex digests, dotted identifiers, base58-ish words.
            let hex = (0..<64).map { _ in "0123456789abcdef".randomElement(using: &rng)! }
            let dotted = (0..<70).map { _ in "abcdefghij.klmnopqrs_tuvwxyz-".randomElement(using: &rng)! }
            let b58 = (0..<60).map { _ in "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".randomElement(using: &rng)! }
            return [String(hex), String(dotted), String(b58), "see \(String(hex))-\(String(hex.prefix(8)))"].shuffled(using: &rng).joined(separator: " ")
        }
        for i in tokenRules {
            // The claim itself, on each example's match: a run of the alphabet, give or take one
            // other character at each end.
            let token = try #require(rules[i].token)
            #expect(!token.alphabet.contains { $0.isWhitespace }, "runs are separated by a newline in the token buffer")
            let regex = try NSRegularExpression(pattern: rules[i].pattern)
            for example in rules[i].examples {
                let ex = "\n" + example + "\n" // framed as the scanner frames every input
                let m = try #require(regex.firstMatch(in: ex, range: NSRange(ex.startIndex..., in: ex)), "\(rules[i].id)")
                var text = Array(ex.utf8)[m.range.lowerBound..<m.range.upperBound]
                let alphabet = Set(token.alphabet.utf8)
                if let f = text.first, !alphabet.contains(f) { text = text.dropFirst() }
                if let l = text.last, !alphabet.contains(l) { text = text.dropLast() }
                #expect(text.count >= token.minLength && text.allSatisfy(alphabet.contains), "\(rules[i].id): \(ex)")
            }
            for ex in rules[i].examples {
                // Alone, at the very start and end, and in the middle of noise on both sides.
                for text in [ex, noise() + "\n" + ex, ex + "\n" + noise(), noise() + "\n" + ex + "\n" + noise() + "\n" + ex] {
                    let expected = text.components(separatedBy: ex).count - 1
                    let hits = try Self.findings(text).filter { $0.rule == i }
                    #expect(hits.count == expected, "\(rules[i].id): \(hits.count) of \(expected) in \(text.count) bytes")
                }
            }
        }
    }

    @Test("every example is confirmed by its own rule and reported")
    func examples() async throws {
        _ = await Self.built()
        var failures: [String] = []
        let worker = try Self.scanner.makeWorker()
        for (i, r) in Self.scanner.rules.enumerated() {
            for (n, ex) in r.examples.enumerated() {
                let (confirmed, reported) = try Array(ex.utf8).withUnsafeBytes { try Self.scanner.explain($0, worker: worker) }
                guard let own = confirmed.first(where: { $0.rule == i }) else { failures.append("\(r.id) example \(n)"); continue }
                // Reported, possibly by a more specific or longer rule on the same secret.
                if !reported.contains(where: { $0.secretFrom < own.secretTo && own.secretFrom < $0.secretTo }) {
                    failures.append("\(r.id) example \(n) confirmed but not reported")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) missed: \(failures.prefix(40))")
    }

    @Test("no negative example produces a finding")
    func negatives() async throws {
        _ = await Self.built()
        var failures: [String] = []
        for r in Self.scanner.rules {
            for (n, ex) in r.negativeExamples.enumerated() {
                let hits = try Self.findings(ex)
                if !hits.isEmpty { failures.append("\(r.id) negative \(n) → \(hits.map { Self.scanner.rules[$0.rule].id })") }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) false positives: \(failures.prefix(40))")
    }

    @Test("a key whose encoded body holds a placeholder word between base64 signs (+nil+, /foo/) is still found")
    func placeholderWordsInsideBase64() async throws {
        _ = await Self.built()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var rng = SeededRandom()
        for word in ["+nil+", "/foo/", "+tbd/", "/your+"] {
            var lines = (0..<20).map { _ in String((0..<64).map { _ in alphabet.randomElement(using: &rng)! }) }
            lines[3] = String(lines[3].prefix(20)) + word + String(lines[3].dropFirst(20 + word.count))
            let pem = "-----BEGIN RSA PRIVATE KEY-----\n" + lines.joined(separator: "\n") + "\n-----END RSA PRIVATE KEY-----\n"
            let escaped = #"{"private_key": ""# + pem.replacingOccurrences(of: "\n", with: #"\n"#) + "\"}\n"
            for text in [pem, escaped] {
                let ids = try Self.findings(text).map { Self.scanner.rules[$0.rule].id }
                #expect(ids.contains("private-key.rsa"), "\(word): \(ids)")
            }
        }
    }
}
