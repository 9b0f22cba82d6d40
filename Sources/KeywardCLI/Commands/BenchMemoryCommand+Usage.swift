import Foundation
import KeywardCore
import KeywardVerify

extension BenchMemoryCommand {
    /// Issue 15: what tracking the presented key version adds to the usage recorder (held
    /// between flushes). 100,000 keys each verified from one source: first with no version
    /// (what the recorder held before), then with versions 1 and 2 from that same source,
    /// as during a rotation; the RSS growth of the second pass over its new entries is the
    /// cost per tracked (key, version, source).
    func measureVersionedUsage() {
        let n = 100_000
        let recorder = UsageRecorder()
        let keys = (0..<n).map { _ in KeyID.random() }
        let at = Date()
        let sources = (0..<n).map { i in VerifySource(ip: "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)", userAgent: "billing/2.1") }
        for i in 0..<n { recorder.record(keys[i], outcome: "valid", at: at, source: sources[i]) }
        let before = ProcStatus.rssMiB()
        for i in 0..<n {
            recorder.record(keys[i], outcome: "valid", at: at, source: sources[i], version: 1)
            recorder.record(keys[i], outcome: "valid", at: at, source: sources[i], version: 2)
        }
        let after = ProcStatus.rssMiB()
        print(String(format: "usage recorder: %d (key, version, source) entries, RSS +%.1f MiB (%.0f bytes per tracked key version and source, until the next flush)",
                     2 * n, after - before, (after - before) * 1_048_576 / Double(2 * n)))
        withExtendedLifetime(recorder) {}
    }
}
