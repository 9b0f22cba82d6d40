import Foundation
import KeywardCore
import KeywardScanner

/// One inventory variable and what import decided for it.
package struct ClassifiedValue: Sendable {
    package var value: ImportedValue
    /// The scanner rule that recognised the value, if one did.
    package var rule: Rule?
    package var decision: ImportDecision
}

/// Classifies inventory variables for `keyward import`: the scanner's rules run on the value
/// with its key as context (`KEY=value`, so a context rule such as aws.secret-access-key, which
/// needs the word "secret" nearby, matches), then on the value alone; then
/// `CredentialHeuristics` decides with the rule's verdict, the key's name and the value's shape.
package struct ImportClassifier {
    let scanner: SecretScanner
    let worker: SecretScanner.Worker

    package init(scanner: SecretScanner) throws {
        self.scanner = scanner
        self.worker = try scanner.makeWorker()
    }

    package func classify(_ v: ImportedValue) throws -> ClassifiedValue {
        let rule = try rule(for: v)
        let decision = CredentialHeuristics.classify(key: v.key, value: v.value, rule: rule.map { .init(id: $0.id, name: $0.name) })
        return ClassifiedValue(value: v, rule: rule, decision: decision)
    }

    /// The rule that recognises the whole value (or most of it), preferring specific rules over
    /// generic ones: first with the key as context, then the value alone.
    package func rule(for v: ImportedValue) throws -> Rule? {
        let context = Array("\(v.key)=".utf8)
        if let r = try covering(context + Array(v.value.utf8), valueFrom: context.count) { return r }
        return try covering(Array(v.value.utf8), valueFrom: 0)
    }

    /// A rule whose secret lies in the value (which starts at `valueFrom`) and spans at least
    /// half of it.
    func covering(_ bytes: [UInt8], valueFrom: Int) throws -> Rule? {
        let hits = try bytes.withUnsafeBytes { try scanner.scan($0, worker: worker) }
        let valueLength = bytes.count - valueFrom
        let rules = hits.filter { $0.secretFrom >= valueFrom && ($0.secretTo - $0.secretFrom) * 2 >= valueLength }.map { scanner.rules[$0.rule] }
        return rules.first { !$0.isGeneric } ?? rules.first
    }
}
