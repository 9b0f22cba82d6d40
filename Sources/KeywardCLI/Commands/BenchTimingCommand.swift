import ArgumentParser
import Foundation
import KeywardCore
import KeywardVerify
import Logging

/// `keyward bench timing` (SECURITY-CASES 56): verifies of checksum-valid keys that differ from
/// a live key in the first versus the last random character, interleaved; Welch's t on the
/// two timing samples. |t| < 4.5 means no detectable difference.
struct BenchTimingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timing", abstract: "Constant-time check of verify (Welch t-test).")

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
        // Near-misses of the live key, each with a valid checksum so every one reaches the index:
        // class A differs in the first random character, class B in the last. A fresh random
        // replacement per sample, so hash-bucket placement averages out and only the class remains.
        var rng = SystemRandomNumberGenerator()
        func variant(_ position: Int) -> String {
            var body = Array(live.reveal().utf8.prefix(APIKeyFormat.tagLength + APIKeyFormat.randomLength))
            var c: UInt8
            repeat { c = Base62.alphabet[Int.random(in: 0..<62, using: &rng)] } while c == body[position]
            body[position] = c
            return String(decoding: APIKeyFormat.withChecksum(body), as: UTF8.self)
        }
        // Allocated alternately, so neither class sits in its own region of the heap.
        var firsts: [String] = [], lasts: [String] = []
        for _ in 0..<samples {
            firsts.append(variant(APIKeyFormat.tagLength))
            lasts.append(variant(APIKeyFormat.tagLength + APIKeyFormat.randomLength - 1))
        }
        let first = firsts[0], last = lasts[0]
        var a: [Double] = [], b: [Double] = []
        a.reserveCapacity(samples)
        b.reserveCapacity(samples)
        for _ in 0..<1_000 { _ = verifier.verify(first, recordUsage: false); _ = verifier.verify(last, recordUsage: false) }
        // One shuffled sequence of both classes, so no position or allocation order can pose
        // as a class difference.
        var plan: [(Bool, String)] = firsts.map { (true, $0) } + lasts.map { (false, $0) }
        plan.shuffle(using: &rng)
        for (which, input) in plan {
            let t0 = ContinuousClock.now
            let o = verifier.verify(input, recordUsage: false)
            let d = ContinuousClock.now - t0
            precondition(o.reason == .notFound)
            let ns = Double(d.components.attoseconds) / 1e9 + Double(d.components.seconds) * 1e9
            if which { a.append(ns) } else { b.append(ns) }
        }
        // Trim the slowest 1% of each sample (scheduler preemption), as dudect-style tests do.
        func trimmed(_ x: [Double]) -> [Double] { Array(x.sorted().prefix(Int(Double(x.count) * 0.99))) }
        let ta = trimmed(a), tb = trimmed(b)
        func stats(_ x: [Double]) -> (Double, Double) {
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1))
        }
        let (ma, va) = stats(ta), (mb, vb) = stats(tb)
        let t = (ma - mb) / ((va / Double(ta.count) + vb / Double(tb.count)).squareRoot())
        print(String(format: "bench timing: %d + %d verifies of not_found near-misses; mean %.1f ns (first char) vs %.1f ns (last char); Welch t = %.2f (|t| < 4.5: %@)",
                     samples, samples, ma, mb, t, abs(t) < 4.5 ? "no detectable difference" : "DIFFERENCE"))
    }
}
