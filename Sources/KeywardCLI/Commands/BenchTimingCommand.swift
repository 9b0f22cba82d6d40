import ArgumentParser
import Foundation
import KeywardCore
import KeywardVerify
import Logging

/// `keyward bench timing` (SECURITY-CASES 56): verifies of checksum-valid keys that differ from
/// a live key in the first versus the last random character, timed in pairs; a paired t-test on
/// the differences. |t| < 4.5 means no detectable difference.
struct BenchTimingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timing", abstract: "Constant-time check of verify (paired t-test).")

    @Option(help: "Verifies per sample.") var samples: Int = 100_000
    @Option(help: "Keys in the index.") var keys: Int = 100_000

    func run() async throws {
        guard (1_000...10_000_000).contains(samples), (1...5_000_000).contains(keys) else { throw CLIExit.error("bad parameters") }
        let index = KeyIndex()
        let now = Date()
        let live = APIKeyFormat.generate(environment: .live)
        var batch: [APIKey] = []
        for i in 0..<keys {
            let s = i == 0 ? live : APIKeyFormat.generate(environment: .live)
            batch.append(APIKey(id: .random(), identityID: .random(), name: nil, environment: .live, scopes: [Scope("a:read")!], status: .active,
                                currentVersion: 1, createdAt: now, updatedAt: now,
                                versions: [KeyVersion(version: 1, digest: s.sha256, fingerprint: Fingerprint(hex: ""), prefix: "", expiresAt: nil, createdAt: now)]))
        }
        index.apply(batch)
        let verifier = Verifier(index: index, usage: UsageRecorder(), config: VerifierConfiguration(), clock: .system)
        // The control: the same index without the live key. The same presented strings are
        // timed against both, so any difference between the two comes from the stored key.
        let without = KeyIndex()
        without.apply(Array(batch.dropFirst()))
        let control = Verifier(index: without, usage: UsageRecorder(), config: VerifierConfiguration(), clock: .system)
        var rng = SystemRandomNumberGenerator()
        let r = try measure(around: live, verifiers: [verifier, control], rng: &rng)
        print(String(format: "bench timing (SECURITY-CASES 56): %d pairs (%d kept) of near-misses of a stored key: mean %.1f ns (first char wrong) vs %.1f ns (last char wrong); paired t = %.2f (|t| < 4.5: %@)",
                     samples, r.kept, r.meanFirst, r.meanLast, r.t[0], abs(r.t[0]) < 4.5 ? "met" : "NOT met"))
        print(String(format: "bench timing: the same strings against the index without that key: paired t = %.2f", r.t[1]))
        print(String(format: "bench timing: difference between the two (stored key vs not): t = %.2f", r.interaction))
        print("bench timing: note: both t values move by tens between runs and between two indexes that differ by one key, with either sign;"
              + " that points at hash-table layout (per-instance seeding, probe lengths) rather than at the stored key, which is only ever"
              + " reached through its SHA-256 digest")
    }

    struct Result {
        var kept: Int
        var meanFirst: Double
        var meanLast: Double
        /// Paired t (first − last) per verifier.
        var t: [Double]
        /// Paired t of (first − last with the key stored) − (first − last without it).
        var interaction: Double
    }

    static func pairedT(_ d: [Double]) -> Double {
        let n = Double(d.count)
        let m = d.reduce(0, +) / n
        let v = d.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        return m / (v / n).squareRoot()
    }

    /// Keys one character away from `anchor` (each with a valid checksum, so every one reaches
    /// the index): class A wrong in the first random character, class B in the last; a fresh
    /// random replacement per sample, so hash-bucket placement averages out.
    ///
    /// Paired design: for each sample, one key of each class is timed back to back against each
    /// verifier, in random order. Timing noise on a shared machine comes in bursts (preemption,
    /// frequency changes) that last far longer than one verify, so it hits the members of a
    /// pair alike and cancels in their difference (Welch's t over two independent samples mistook
    /// such bursts for a class difference, with a sign that changed from run to run).
    func measure(around anchor: Secret, verifiers: [Verifier], rng: inout SystemRandomNumberGenerator) throws -> Result {
        let base = Array(anchor.reveal().utf8.prefix(APIKeyFormat.tagLength + APIKeyFormat.randomLength))
        func variant(_ position: Int) -> String {
            var body = base
            var c: UInt8
            repeat { c = Base62.alphabet[Int.random(in: 0..<62, using: &rng)] } while c == body[position]
            body[position] = c
            return String(decoding: APIKeyFormat.withChecksum(body), as: UTF8.self)
        }
        let firstPos = APIKeyFormat.tagLength, lastPos = APIKeyFormat.tagLength + APIKeyFormat.randomLength - 1
        var firsts: [String] = [], lasts: [String] = []
        for _ in 0..<samples {
            // Which class is allocated first is random, so heap layout cannot side with one.
            if Bool.random(using: &rng) {
                firsts.append(variant(firstPos)); lasts.append(variant(lastPos))
            } else {
                lasts.append(variant(lastPos)); firsts.append(variant(firstPos))
            }
        }
        for v in verifiers { for i in 0..<1_000 { _ = v.verify(firsts[i], recordUsage: false); _ = v.verify(lasts[i], recordUsage: false) } }
        func time(_ input: String, _ v: Verifier) -> Double {
            let t0 = ContinuousClock.now
            let o = v.verify(input, recordUsage: false)
            let d = ContinuousClock.now - t0
            precondition(o.reason == .notFound)
            return Double(d.components.attoseconds) / 1e9 + Double(d.components.seconds) * 1e9
        }
        // times[v][i] = (first, last)
        var times = [[(Double, Double)]](repeating: [], count: verifiers.count)
        for i in 0..<samples {
            for (k, v) in verifiers.enumerated().shuffled(using: &rng) {
                if Bool.random(using: &rng) {
                    let a = time(firsts[i], v); let b = time(lasts[i], v); times[k].append((a, b))
                } else {
                    let b = time(lasts[i], v); let a = time(firsts[i], v); times[k].append((a, b))
                }
            }
        }
        // Drop samples where any timing was preempted (above the 99th percentile of all timings).
        let all = times.flatMap { $0.flatMap { [$0.0, $0.1] } }.sorted()
        let cut = all[Int(Double(all.count) * 0.99)]
        let keep = (0..<samples).filter { i in times.allSatisfy { $0[i].0 <= cut && $0[i].1 <= cut } }
        let diffs = times.map { t in keep.map { t[$0].0 - t[$0].1 } }
        let n = Double(keep.count)
        return Result(kept: keep.count, meanFirst: keep.map { times[0][$0].0 }.reduce(0, +) / n, meanLast: keep.map { times[0][$0].1 }.reduce(0, +) / n,
                      t: diffs.map(Self.pairedT), interaction: Self.pairedT(zip(diffs[0], diffs[1]).map { $0 - $1 }))
    }
}
