import ArgumentParser
import Foundation
import KeywardCore
import KeywardVerify

/// `keyward bench detect`: a labelled synthetic traffic mix (`DetectTraffic`: normal machine keys
/// and injected attacks, from a seeded generator, on a simulated clock) replayed straight into a
/// `DetectionEngine` with the default policy — the real detectors, in process, no HTTP. Prints
/// each detector's detection rate, time to detect and false alarms per million calls, the replay
/// speed, and the memory per tracked key, source and identity.
struct BenchDetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detectors against a labelled synthetic traffic replay: detection rate, time to detect, false alarms per million calls, memory.")

    @Option(help: "Seed of the traffic generator (the same seed, the same traffic).") var seed: UInt64 = 15
    @Option(help: "Machine keys in the mix (a quarter as many identities).") var keys: Int = 2_000
    @Option(help: "Simulated days.") var days: Int = 3
    @Option(help: "Injected attacks per detector (fewer when too few keys qualify).") var attacks: Int = 20
    @Option(help: "Keys fed to a fresh engine to measure memory per tracked key (0: skip).") var memoryKeys: Int = 200_000
    @Option(help: "Failing sources and identities fed to it to measure theirs (0: skip).") var memorySources: Int = 100_000
    @Option(help: "False alarms and missed attacks to print per detector, with their evidence and parameters.") var examples: Int = 0
    @Flag(help: "Print the report as one JSON object.") var json = false

    /// Monday 2026-01-05 00:00 UTC: the simulated clock's start (time-of-day baselines are UTC).
    static let epoch: Int64 = 1_767_571_200_000

    func run() async throws {
        guard (1...200_000).contains(keys) else { throw CLIExit.error("--keys must be 1 to 200,000") }
        guard (1...30).contains(days) else { throw CLIExit.error("--days must be 1 to 30") }
        guard (0...1_000).contains(attacks) else { throw CLIExit.error("--attacks must be 0 to 1,000") }
        guard (0...2_000_000).contains(memoryKeys) else { throw CLIExit.error("--memory-keys must be 0 to 2,000,000") }
        guard (0...DetectionEngine.maxSources).contains(memorySources), memorySources <= DetectionEngine.maxIdentities else {
            throw CLIExit.error("--memory-sources must be 0 to \(DetectionEngine.maxSources) (the engine's table cap)")
        }
        guard (0...100).contains(examples) else { throw CLIExit.error("--examples must be 0 to 100") }
        let policy = DetectionPolicy()
        if !json {
            print("bench detect: a labelled synthetic traffic mix replayed straight into DetectionEngine: the real detectors, in process, no HTTP,")
            print("  on a simulated clock from 2026-01-05T00:00Z (UTC time of day); each attack is labelled with its start, subject and detector;")
            print("  the same seed gives the same traffic (the detectors' hashes are seeded per process unless SWIFT_DETERMINISTIC_HASHING=1)")
            print("configuration: seed \(seed), \(keys) keys, \(max(1, keys / 4)) identities, \(days) days, \(attacks) attacks per detector, \(max(1, keys / 20)) misconfigured clients")
            print("policy: \(DetectReport.describe(policy))")
            print("tuning: \(DetectReport.describe(policy.tuning))")
        }
        // Memory first, in a fresh process, before the replay's own allocations move the resident set.
        let memory = memoryKeys > 0 || memorySources > 0 ? Self.measureMemory(keys: memoryKeys, sources: memorySources) : nil

        let clock = ContinuousClock()
        let began = clock.now
        var traffic = DetectTraffic(seed: seed, keys: keys, days: days, start: Self.epoch)
        traffic.inject(perDetector: attacks, tuning: policy.tuning)
        var notes: [KeyID: String] = [:]
        for k in traffic.keys { notes[k.id] = DetectTraffic.describe(k) }
        var score = DetectScore(labels: traffic.labels, firstDayEnds: Self.epoch + DetectTraffic.day, keepExamples: examples, keyNotes: notes)
        let engine = DetectionEngine(policy: policy)
        let counts = traffic.replay(into: engine, score: &score)
        let wall = Self.seconds(clock.now - began)
        let engineSeconds = Self.seconds(counts.engine)
        let t = engine.tracked
        let report = DetectReport(
            seed: seed, keys: keys, identities: traffic.identities.count, days: days, attacksPerDetector: attacks, misconfiguredClients: traffic.misconfigured,
            policy: DetectReport.describe(policy), tuning: DetectReport.describe(policy.tuning), rows: score.rows(calls: counts.calls),
            calls: counts.calls, refusedWhileBlocked: counts.blocked, wallSeconds: wall, callsPerSecond: Double(counts.calls) / max(wall, 1e-9),
            engineSeconds: engineSeconds, engineNanosecondsPerCall: engineSeconds * 1e9 / Double(max(1, counts.calls + counts.blocked)),
            tracked: .init(keys: t.keys, sources: t.sources, identities: t.identities, blocked: t.blocked),
            peakTracked: .init(keys: counts.peak.keys, sources: counts.peak.sources, identities: counts.peak.identities, blocked: counts.peak.blocked),
            memory: memory, falseAlarmExamples: score.falseAlarmExamples, missedExamples: score.missed(limit: examples))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            report.printTable()
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Resident-set growth (from /proc, as `bench memory` reads it) of a fresh engine fed `keys`
    /// keys (4 calls each, from 2 addresses and one user agent, every 4th with a forward-auth
    /// path, as in the mix), then `sources` failing sources (one unknown key each) and as many
    /// identities (one failure each). Addresses are dotted IPv4, short enough to be held inline.
    static func measureMemory(keys n: Int, sources: Int) -> DetectReport.Memory {
        let engine = DetectionEngine(policy: DetectionPolicy())
        let required = [Scope("orders:read")!]
        let ips = ["10.0.0.1", "10.0.0.2"]
        let path: Substring = "/v1/items/1"
        let t0 = epoch
        let r0 = ProcStatus.rssMiB()
        for i in 0..<n {
            let id = KeyID(raw: UInt128(i + 1))
            for j in 0..<4 {
                engine.observe(Observation(at: t0 + Int64(j) * 1_000, reason: nil, keyID: id, version: 1, identityID: nil, environment: .live, ip: ips[j % 2],
                                           userAgent: "okhttp/4.12.0", certSubject: nil, path: i % 4 == 0 ? path : nil, required: required, presentedHash: 0),
                               subject: .key(id))
            }
        }
        let r1 = ProcStatus.rssMiB()
        for i in 0..<sources {
            engine.observe(Observation(at: t0, reason: .notFound, keyID: nil, version: nil, identityID: nil, environment: nil,
                                       ip: "11.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)", userAgent: nil, certSubject: nil, path: nil, required: [],
                                       presentedHash: i + 1), subject: nil)
        }
        let r2 = ProcStatus.rssMiB()
        for i in 0..<sources {
            let key = KeyID(raw: UInt128(i + 1) << 64)
            engine.observe(Observation(at: t0, reason: .revoked, keyID: key, version: 1, identityID: IdentityID(raw: UInt128(i + 1)), environment: .live,
                                       ip: "12.0.0.1", userAgent: nil, certSubject: nil, path: nil, required: [], presentedHash: 0), subject: .key(key))
        }
        let r3 = ProcStatus.rssMiB()
        let t = engine.tracked
        let perEntry = { (mib: Double, count: Int) in count > 0 ? mib * 1_048_576 / Double(count) : 0 }
        return DetectReport.Memory(
            method: "resident set growth from /proc/self/status while a fresh engine takes them, tables included",
            keys: t.keys, bytesPerKey: perEntry(r1 - r0, t.keys), sources: t.sources, bytesPerSource: perEntry(r2 - r1, t.sources),
            identities: t.identities, bytesPerIdentity: perEntry(r3 - r2, t.identities),
            keyWatchInlineBytes: MemoryLayout<KeyWatch>.stride, sourceWatchInlineBytes: MemoryLayout<SourceWatch>.stride,
            identityWatchInlineBytes: MemoryLayout<IdentityWatch>.stride)
    }
}
