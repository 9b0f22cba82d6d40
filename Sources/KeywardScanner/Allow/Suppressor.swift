import Foundation

/// Applies a scan's suppressions to each finding while its secret and line are still at hand:
/// allow comments, then the repository config's allow-list, then the baseline; and computes the
/// secret's hash for a baseline being written.
package struct Suppressor: Sendable {
    package var allowList: AllowList?
    package var baseline: Baseline?
    /// The hasher of the baseline being written (`--write-baseline`), if any.
    package var writeHasher: BaselineHasher?

    package init(allowList: AllowList? = nil, baseline: Baseline? = nil, writeHasher: BaselineHasher? = nil) {
        self.allowList = allowList
        self.baseline = baseline
        self.writeHasher = writeHasher
    }

    package func apply(to f: inout Finding, secret: [UInt8], line: [UInt8]) {
        if let reason = AllowComment.reason(inLine: line) {
            if reason.isEmpty { f.bareAllow = true } else { f.suppression = Suppression(kind: .allowComment, justification: reason) }
        }
        if f.suppression == nil, let allowList,
           let reason = allowList.reason(ruleId: f.ruleId, path: f.path, line: String(decoding: line, as: UTF8.self)) {
            f.suppression = Suppression(kind: .config, justification: reason)
        }
        guard f.suppression == nil || f.suppression?.kind == .baseline else { return }
        if let writeHasher { f.baselineHash = writeHasher.hash(secret, highEntropy: f.highEntropy, fingerprint: f.fingerprint) }
        guard let baseline else { return }
        let known: Bool
        if baseline.version == 1 {
            known = baseline.containsV1(ruleId: f.ruleId, path: f.path, fingerprint: f.fingerprint)
        } else if baseline.mayContain(ruleId: f.ruleId, path: f.path) {
            let h = baseline.hasher === writeHasher && f.baselineHash != nil
                ? f.baselineHash! : baseline.hasher.hash(secret, highEntropy: f.highEntropy, fingerprint: f.fingerprint)
            known = baseline.contains(ruleId: f.ruleId, path: f.path, secretHash: h)
        } else {
            known = false
        }
        if known { f.suppression = Suppression(kind: .baseline, justification: "in the baseline") }
    }
}
