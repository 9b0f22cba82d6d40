import ArgumentParser
import Foundation
import KeywardCore
import KeywardVerify

/// `keyward bench memory`: loads N keys (default 1,000,000) into the verify index and prints
/// the process's RSS before and after. Target: < 512 MiB with 1 M keys. Then the rate limiter's
/// memory per tracked source: `--sources` distinct addresses (default 200,000, the limiter's
/// default capacity) charged once each through `Limits`, as verify charges a reported source.
struct BenchMemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "memory", abstract: "RSS of the verify index with N active keys.")

    @Option(help: "Keys to load.") var keys: Int = 1_000_000
    @Option(help: "Distinct scope sets among the keys.") var scopeSets: Int = 50
    @Option(help: "Distinct source addresses charged to the rate limiter (below its capacity, so none is forgotten while measuring).") var sources: Int = 150_000

    func run() async throws {
        guard keys > 0, keys <= 20_000_000, scopeSets > 0 else { throw CLIExit.error("--keys must be 1 to 20,000,000") }
        guard (1...200_000).contains(sources) else { throw CLIExit.error("--sources must be 1 to 200,000 (the limiter's capacity)") }
        let before = ProcStatus.rssMiB()
        let index = KeyIndex()
        let now = Date()
        var rng = SystemRandomNumberGenerator()
        let identities = (0..<max(1, keys / 100)).map { _ in IdentityID.random() }
        let sets: [[Scope]] = (0..<scopeSets).map { i in [Scope("svc\(i):read")!, Scope("svc\(i):write")!] }
        let start = ContinuousClock.now
        var batch: [APIKey] = []
        batch.reserveCapacity(10_000)
        for i in 0..<keys {
            var digestBytes = [UInt8](repeating: 0, count: 32)
            for j in 0..<32 { digestBytes[j] = UInt8.random(in: 0...255, using: &rng) }
            let v = KeyVersion(version: 1, digest: SecretDigest(rawBytes: digestBytes)!, fingerprint: Fingerprint(hex: ""), prefix: "",
                               expiresAt: now.addingTimeInterval(86_400), createdAt: now)
            batch.append(APIKey(id: .random(), identityID: identities[i % identities.count], name: nil, environment: .live,
                                scopes: sets[i % sets.count], status: .active, currentVersion: 1, createdAt: now, updatedAt: now, versions: [v]))
            if batch.count == 10_000 { index.apply(batch); batch.removeAll(keepingCapacity: true) }
        }
        index.apply(batch)
        let elapsed = ContinuousClock.now - start
        let after = ProcStatus.rssMiB()
        let c = index.counts()
        print("bench memory: \(c.keys) keys, \(c.versions) versions in the index (loaded in \(elapsed))")
        print(String(format: "RSS before %.1f MiB, after %.1f MiB, index ≈ %.1f MiB (%.0f bytes/key); target < 512 MiB: %@",
                     before, after, after - before, (after - before) * 1_048_576 / Double(keys), after < 512 ? "met" : "NOT met"))
        measureSources(identity: identities[0])
        measureVersionedUsage()
    }

    /// RSS per source the limiter tracks: each charge of a valid verify from a new IPv4 address
    /// adds its source bucket (the key and identity buckets are shared, the failure peeks write nothing).
    func measureSources(identity: IdentityID) {
        let limits = Limits()
        var outcome = VerifyOutcome(reason: nil, keyID: .random(), version: 1, identityID: identity, scopes: [], expiresAt: nil)
        outcome.environment = .live
        outcome.identityLimit = RateLimit(limit: 1_000_000, periodSeconds: 1)
        outcome.keyLimit = outcome.identityLimit
        let ips = (0..<sources).map { i in "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)" }
        let before = ProcStatus.rssMiB()
        let start = ContinuousClock.now
        for ip in ips { _ = limits.decideLocally(limits.charges(for: outcome, sourceIP: ip)) }
        let took = ContinuousClock.now - start
        let after = ProcStatus.rssMiB()
        // Informative: the in-process cost of one verify's limits (charges built and decided), new sources each time.
        print(String(format: "rate limiter: %.2f µs per verify's charges (5 buckets, a new source each)",
                     Double(took.components.attoseconds / 1_000_000_000_000 + took.components.seconds * 1_000_000) / Double(sources)))
        // The table grows to its capacity, then forgets the buckets that are whole again: the RSS growth is
        // that of `sources` entries at once; the count left is what is still busy.
        print(String(format: "rate limiter: %d sources charged, RSS +%.1f MiB (%.0f bytes per tracked source); %d buckets still busy after the run",
                     sources, after - before, (after - before) * 1_048_576 / Double(sources), limits.trackedBuckets))
    }
}
