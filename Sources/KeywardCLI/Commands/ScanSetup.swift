import Foundation
import KeywardScanner

/// What a scan needs before it reads anything: the repository config (allow-list, custom rules
/// validated against their examples), the rules, the baseline to read and the hasher of the one
/// to write. Every problem here is exit 2 with a message.
struct ScanSetup {
    var scanner: SecretScanner
    var suppressor: Suppressor
    var known: Baseline?
    /// The config's `confidence`, if it sets one.
    var confidence: Confidence?

    static func make(configFlag: String?, root: String, baseline: String?, writeBaseline: String?, cacheDirectory: String?) throws -> ScanSetup {
        var config: RepositoryConfig?
        if let configFlag {
            config = try RepositoryConfig.load(configFlag)
        } else {
            let found = (root.hasSuffix("/") ? root : root + "/") + RepositoryConfig.fileName
            if FileManager.default.fileExists(atPath: found) { config = try RepositoryConfig.load(found) }
        }
        let base = try RuleSet.builtIn()
        let ruleSet = try config?.ruleSet(extending: base) ?? base
        let scanner = try SecretScanner(ruleSet: ruleSet, cacheDirectory: cacheDirectory)
        try config?.validate(scanner)
        let known = try baseline.map(Baseline.load)
        var writeHasher: BaselineHasher?
        if let writeBaseline {
            // Rewriting a baseline keeps its salt, so its diff shows only the entries that changed.
            if writeBaseline == baseline, let known, known.version == 2 {
                writeHasher = known.hasher
            } else if FileManager.default.fileExists(atPath: writeBaseline), let existing = try? Baseline.load(writeBaseline), existing.version == 2 {
                writeHasher = existing.hasher
            } else {
                writeHasher = BaselineHasher.random()
            }
        }
        return ScanSetup(scanner: scanner, suppressor: Suppressor(allowList: config?.allowList, baseline: known, writeHasher: writeHasher), known: known,
                         confidence: config?.confidence)
    }
}

/// The closing line on standard error.
enum ScanSummary {
    static func line(findings: [Finding], suppressed: [Finding], stats: ScanStats, elapsed: Duration) -> String {
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let mb = Double(stats.bytes) / 1e6
        var s = "keyward scan: \(findings.count) findings"
        if !suppressed.isEmpty {
            let by = { (k: Suppression.Kind) in suppressed.filter { $0.suppression?.kind == k }.count }
            s += " (\(suppressed.count) suppressed: \(by(.allowComment)) by allow comments, \(by(.config)) by the config, \(by(.baseline)) by the baseline)"
        }
        return s + String(format: " in %d files (%.1f MB, %d binary skipped) in %.2fs (%.0f MB/s)",
                          stats.files, mb, stats.skippedBinary, secs, secs > 0 ? mb / secs : 0)
    }
}
