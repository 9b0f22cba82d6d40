import Crypto
import Foundation
import KeywardCore

extension RepositoryConfig {
    /// The config's allow-list, with globs relative to the config's folder. The config's own
    /// custom-rule examples (synthetic, and found by their rules) are allowed in the config file
    /// only, and only for those rules: a built-in rule still reports a real secret pasted there.
    package var allowList: AllowList? {
        var entries = allow
        if !rules.isEmpty {
            var own = AllowList.Entry(reason: "a custom rule's example in the repository config", source: path)
            own.paths = [(path as NSString).lastPathComponent]
            own.rules = rules.map(\.id)
            entries.append(own)
        }
        return entries.isEmpty ? nil : AllowList(entries: entries, root: (path as NSString).deletingLastPathComponent)
    }

    /// The built-in rules followed by the config's, so a custom rule takes part in the fallback
    /// and overlap resolution like a built-in one. The config's rules are a layer of their own
    /// (their own database, cached by their patterns): the built-ins' compiled entry is reused.
    package func ruleSet(extending base: RuleSet) throws(Failure) -> RuleSet {
        guard !rules.isEmpty else { return base }
        let builtIn = Set(base.rules.map(\.id))
        for r in rules {
            let at = "\(path):\(ruleLines[r.id] ?? 1)"
            guard !builtIn.contains(r.id) else { throw Failure(description: "\(at): rule id \(r.id) is a built-in rule's") }
            do { _ = try HyperscanDatabase.compile([r]) } catch {
                throw Failure(description: "\(at): rule \(r.id): the pattern is not supported by the scan engine (Hyperscan: no lookaround, no backreferences)")
            }
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        var hasher = SHA256()
        hasher.update(data: Array(base.digest.utf8))
        hasher.update(data: (try? enc.encode(rules)) ?? Data())
        return RuleSet(rules: base.rules + rules, filters: base.filters, digest: Hex.encode(Array(hasher.finalize())),
                       layers: base.layers + [base.rules.count..<(base.rules.count + rules.count)])
    }

    /// Like the built-in rules' test: every example is reported by its own rule, no negative
    /// example is reported by it.
    package func validate(_ scanner: SecretScanner) throws(Failure) {
        guard !rules.isEmpty else { return }
        let index = Dictionary(uniqueKeysWithValues: scanner.rules.enumerated().map { ($1.id, $0) })
        let worker: SecretScanner.Worker
        do { worker = try scanner.makeWorker() } catch { throw Failure(description: "\(path): \(error)") }
        for r in rules {
            let at = "\(path):\(ruleLines[r.id] ?? 1)"
            guard let i = index[r.id] else { continue }
            func found(_ text: String) throws(Failure) -> Bool {
                do { return try Array(text.utf8).withUnsafeBytes { try scanner.scan($0, worker: worker) }.contains { $0.rule == i } } catch {
                    throw Failure(description: "\(at): rule \(r.id): \(error)")
                }
            }
            for (n, ex) in r.examples.enumerated() where try !found(ex) {
                throw Failure(description: "\(at): rule \(r.id): example \(n + 1) is not found by the rule (check the pattern, secret_group, min_entropy, placeholders)")
            }
            for (n, ex) in r.negativeExamples.enumerated() where try found(ex) {
                throw Failure(description: "\(at): rule \(r.id): negative example \(n + 1) is found by the rule")
            }
        }
    }
}
