import ArgumentParser
import Foundation
import KeywardCore
import KeywardVerify
import Logging

/// `keyward bench timing` (case 56 of docs/security-cases.md): verifies of checksum-valid keys that differ from
/// a stored key in the first versus the last random character, timed in pairs; a paired t-test
/// on the differences. |t| < 4.5 means no detectable difference.
///
/// Each pair is built around a stored key drawn at random from the index. Built around one
/// key only, each class would hold just 61 distinct strings, hence 61 fixed hash buckets whose
/// probe costs differ by a few nanoseconds: a difference that belongs to the table's layout,
/// not to the stored key, and that showed up with either sign (|t| up to 40) against an index
/// that did not even hold the key. An early-exit comparison against the stored key would still
/// show for every anchor, so drawing anchors loses no power; `--leaky-control` demonstrates it.
/// Both classes are timed by one call site of one non-inlined function (see `measure`);
/// `--aa-control` checks that the harness itself does not side with a class.
struct BenchTimingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timing", abstract: "Constant-time check of verify (paired and Welch t-tests).")

    @Option(help: "Pairs of verifies timed (one near-miss of each class per pair).") var samples: Int = 100_000
    @Option(help: "Keys in the index.") var keys: Int = 100_000
    @Flag(help: "Also time a deliberately leaky check (byte-wise early-exit compare with the stored key), to show the test detects one.")
    var leakyControl = false
    @Flag(help: "Also run an A/A check: both classes wrong in the first character, so any |t| ≥ 4.5 is the harness's bias.")
    var aaControl = false

    func run() async throws {
        guard (1_000...10_000_000).contains(samples), (1...5_000_000).contains(keys) else { throw CLIExit.error("bad parameters") }
        let now = Date()
        func makeIndex() -> (KeyIndex, [Secret]) {
            let index = KeyIndex()
            var secrets: [Secret] = [], batch: [APIKey] = []
            for _ in 0..<keys {
                let s = APIKeyFormat.generate(environment: .live)
                secrets.append(s)
                batch.append(APIKey(id: .random(), identityID: .random(), name: nil, environment: .live, scopes: [Scope("a:read")!], status: .active,
                                    currentVersion: 1, createdAt: now, updatedAt: now,
                                    versions: [KeyVersion(version: 1, digest: s.sha256, fingerprint: Fingerprint(hex: ""), prefix: "", expiresAt: nil, createdAt: now)]))
            }
            index.apply(batch)
            return (index, secrets)
        }
        let (index, stored) = makeIndex()
        let verifier = Verifier(index: index, usage: UsageRecorder(), config: VerifierConfiguration(), clock: .system)
        // The control: an index of the same size that holds none of the anchors. The same
        // presented strings are timed against both, so a difference between the two comes
        // from the stored keys.
        let control = Verifier(index: makeIndex().0, usage: UsageRecorder(), config: VerifierConfiguration(), clock: .system)
        var rng = SystemRandomNumberGenerator()
        let r = measure(around: stored, verifiers: [verifier, control], rng: &rng)
        print(String(format: "bench timing (case 56 of docs/security-cases.md): %d pairs (%d kept) of near-misses of stored keys: mean %.1f ns (first char wrong) vs %.1f ns (last char wrong); paired t = %.2f, Welch's t = %.2f (|t| < 4.5: %@)",
                     samples, r.kept, r.meanFirst[0], r.meanLast[0], r.t[0], r.welch[0], max(abs(r.t[0]), abs(r.welch[0])) < 4.5 ? "met" : "NOT met"))
        print(String(format: "bench timing: the same strings against an index without those keys: paired t = %.2f", r.t[1]))
        print(String(format: "bench timing: difference between the two (stored keys vs not): t = %.2f", r.interaction))
        if aaControl {
            let aa = measure(around: stored, verifiers: [verifier], sameClass: true, rng: &rng)
            print(String(format: "bench timing: A/A check (both classes wrong in the first character): paired t = %.2f (should be below 4.5)", aa.t[0]))
        }
        if leakyControl {
            let leaky = measure(around: stored, verifiers: [verifier], leaky: true, rng: &rng)
            print(String(format: "bench timing: leaky control (verify plus an early-exit compare with the anchor): mean %.1f ns vs %.1f ns; paired t = %.2f (should be far above 4.5)",
                         leaky.meanFirst[0], leaky.meanLast[0], leaky.t[0]))
        }
    }

    struct Result {
        var kept: Int
        /// Per verifier.
        var meanFirst: [Double]
        var meanLast: [Double]
        /// Paired t (first − last) per verifier.
        var t: [Double]
        /// Welch's t (first vs last) per verifier.
        var welch: [Double]
        /// Paired t of (first − last with the key stored) − (first − last without it).
        var interaction: Double
    }

    static func meanAndVariance(_ x: [Double]) -> (mean: Double, variance: Double) {
        let n = Double(x.count)
        let m = x.reduce(0, +) / n
        return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1))
    }

    static func pairedT(_ d: [Double]) -> Double {
        let (m, v) = meanAndVariance(d)
        return m / (v / Double(d.count)).squareRoot()
    }

    /// Welch's t over the two classes taken as independent samples (the statistic the case names).
    static func welchT(_ a: [Double], _ b: [Double]) -> Double {
        let (ma, va) = meanAndVariance(a), (mb, vb) = meanAndVariance(b)
        return (ma - mb) / (va / Double(a.count) + vb / Double(b.count)).squareRoot()
    }

    /// Keys one character away from a stored key drawn at random for each pair (each with a
    /// valid checksum, so every one reaches the index): class A wrong in the first random
    /// character, class B in the last.
    ///
    /// Paired design: for each sample, one key of each class is timed back to back against each
    /// verifier, in random order. Timing noise on a shared machine comes in bursts (preemption,
    /// frequency changes) that last far longer than one verify, so it hits the members of a
    /// pair alike and cancels in their difference (Welch's t over two independent samples mistook
    /// such bursts for a class difference, with a sign that changed from run to run).
    func measure(around stored: [Secret], verifiers: [Verifier], leaky: Bool = false, sameClass: Bool = false, rng: inout SystemRandomNumberGenerator) -> Result {
        let firstPos = APIKeyFormat.tagLength
        let lastPos = sameClass ? firstPos : APIKeyFormat.tagLength + APIKeyFormat.randomLength - 1
        var anchors: [[UInt8]] = [], firsts: [String] = [], lasts: [String] = []
        for _ in 0..<samples {
            let anchor = Array(stored[Int.random(in: 0..<stored.count, using: &rng)].reveal().utf8)
            func variant(_ position: Int) -> String {
                var body = Array(anchor.prefix(APIKeyFormat.tagLength + APIKeyFormat.randomLength))
                var c: UInt8
                repeat { c = Base62.alphabet[Int.random(in: 0..<62, using: &rng)] } while c == body[position]
                body[position] = c
                return String(decoding: APIKeyFormat.withChecksum(body), as: UTF8.self)
            }
            anchors.append(anchor)
            // Which class is allocated first is random, so heap layout cannot side with one.
            if Bool.random(using: &rng) {
                firsts.append(variant(firstPos)); lasts.append(variant(lastPos))
            } else {
                lasts.append(variant(lastPos)); firsts.append(variant(firstPos))
            }
        }
        for v in verifiers { for i in 0..<min(samples, 1_000) { _ = try? v.verify(firsts[i], recordUsage: false); _ = try? v.verify(lasts[i], recordUsage: false) } }
        // times[v][i] = (first, last)
        var times = [[(Double, Double)]](repeating: [], count: verifiers.count)
        for i in 0..<samples {
            for (k, v) in verifiers.enumerated().shuffled(using: &rng) {
                // One call site times both classes, in a random order: with a call site per
                // class and order, the sites' own code placement showed as a class difference
                // (an A/A run, both classes wrong in the same position, gave |t| ≈ 5).
                let firstGoesFirst = Bool.random(using: &rng)
                var pair = (0.0, 0.0)
                for j in 0..<2 {
                    let isFirst = (j == 0) == firstGoesFirst
                    let d = Self.timeOne(v, isFirst ? firsts[i] : lasts[i], leakyAnchor: leaky ? anchors[i] : nil)
                    if isFirst { pair.0 = d } else { pair.1 = d }
                }
                times[k].append(pair)
            }
        }
        // Drop samples where any timing was preempted (above the 99th percentile of all timings).
        let all = times.flatMap { $0.flatMap { [$0.0, $0.1] } }.sorted()
        let cut = all[Int(Double(all.count) * 0.99)]
        let keep = (0..<samples).filter { i in times.allSatisfy { $0[i].0 <= cut && $0[i].1 <= cut } }
        let diffs = times.map { t in keep.map { t[$0].0 - t[$0].1 } }
        let n = Double(keep.count)
        return Result(kept: keep.count,
                      meanFirst: times.map { t in keep.map { t[$0].0 }.reduce(0, +) / n },
                      meanLast: times.map { t in keep.map { t[$0].1 }.reduce(0, +) / n },
                      t: diffs.map(Self.pairedT),
                      welch: times.map { t in Self.welchT(keep.map { t[$0].0 }, keep.map { t[$0].1 }) },
                      interaction: diffs.count > 1 ? Self.pairedT(zip(diffs[0], diffs[1]).map { $0 - $1 }) : 0)
    }

    /// One timed verify, as a function of its own so that every measurement runs the same
    /// machine code whatever the harness around it.
    @inline(never)
    static func timeOne(_ v: Verifier, _ input: String, leakyAnchor: [UInt8]?) -> Double {
        let t0 = ContinuousClock.now
        let o = try? v.verify(input, recordUsage: false)
        if let anchor = leakyAnchor { _ = earlyExitEqual(input, anchor) }
        let d = ContinuousClock.now - t0
        precondition(o?.reason == .notFound)
        return Double(d.components.attoseconds) / 1e9 + Double(d.components.seconds) * 1e9
    }

    /// The leak the benchmark exists to catch: a byte-wise comparison that stops at the first
    /// difference. Used only by `--leaky-control`.
    @inline(never)
    static func earlyExitEqual(_ s: String, _ anchor: [UInt8]) -> Bool {
        var i = 0
        for b in s.utf8 {
            guard i < anchor.count, b == anchor[i] else { return false }
            i += 1
        }
        return i == anchor.count
    }
}
