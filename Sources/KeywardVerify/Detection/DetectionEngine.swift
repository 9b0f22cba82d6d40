import Foundation
import KeywardCore
import Metrics
import Synchronization

/// What a finding is about: a key, or an OAuth client (its access tokens).
package enum WatchSubject: Hashable, Sendable {
    case key(KeyID)
    case client(OAuthClientID)
}

/// The detectors at the verify point (issue 15): fed every answer the verify point gives (after
/// limits), they keep bounded state per key, per failing source and per targeted identity, and
/// queue what they find (`take`; `wakeups` says there is some): `DetectionRecorder` records it
/// through Governance, off the request path. A source the policy blocks is refused here at once, before anything is written.
/// Memory is bounded by the table caps; `sweep` evicts state idle beyond its horizon.
package final class DetectionEngine: Sendable {
    package let policy: DetectionPolicy
    /// Yields when findings are queued (coalesced: one wake-up may stand for many).
    package let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let pending = Mutex<[Finding]>([])
    /// Findings waiting to be recorded, at most: a store outage during an attack cannot grow memory.
    package static let maxPending = 10_000
    private let keys = Mutex<[WatchSubject: KeyWatch]>([:])
    private let sources = Mutex<[String: SourceWatch]>([:])
    private let identities = Mutex<[IdentityID: IdentityWatch]>([:])
    private let blocks = Mutex<[String: Int64]>([:])
    private let blockCount = Atomic<Int>(0)
    private let runsKeys: Bool
    private let runsEnumeration: Bool
    private let runsBruteForce: Bool
    private let keyRuns: InlineArray<8, Bool>
    /// Caps: a flood of new keys or sources cannot grow memory past them (a full table tracks no
    /// newcomer until `sweep` frees room, and says so in `/metrics`).
    package static let maxKeys = 1_000_000
    package static let maxSources = 100_000
    package static let maxIdentities = 100_000
    private let raised: [DetectorKind: Counter]
    private let untracked: Counter

    package init(policy: DetectionPolicy, metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.policy = policy
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var runs = InlineArray<8, Bool>(repeating: false)
        for d in DetectorKind.allCases { runs[d.index % 8] = policy.runs(d) }
        keyRuns = runs
        runsEnumeration = policy.runs(.enumeration)
        runsBruteForce = policy.runs(.bruteForce)
        runsKeys = DetectorKind.allCases.contains { $0 != .enumeration && $0 != .bruteForce && policy.runs($0) }
        var counters: [DetectorKind: Counter] = [:]
        for d in DetectorKind.allCases { counters[d] = Counter(label: "keyward_detections_total", dimensions: [("detector", d.rawValue)], factory: metrics) }
        raised = counters
        untracked = Counter(label: "keyward_detection_untracked_total", dimensions: [], factory: metrics)
    }

    /// Feeds one answered verify. O(1): one table lookup per detector family that applies.
    package func observe(_ o: Observation, subject: WatchSubject?) {
        var out: [Finding] = []
        if let subject, runsKeys, o.reason == nil || o.reason == .insufficientScope {
            let runs = keyRuns
            keys.withLock { t in
                if t[subject] == nil, t.count >= Self.maxKeys { untracked.increment(); return }
                t[subject, default: KeyWatch()].observe(o, policy.tuning, runs: { runs[$0.index % 8] }, into: &out)
            }
        }
        if o.isCredentialFailure {
            if o.identityID == nil, runsEnumeration, let ip = o.ip, o.reason == .notFound || o.reason == .malformed {
                let f: Finding? = sources.withLock { t in
                    if t[ip] == nil, t.count >= Self.maxSources { untracked.increment(); return nil }
                    return t[ip, default: SourceWatch()].observe(o, policy.tuning)
                }
                if let f { out.append(f) }
            } else if let id = o.identityID, runsBruteForce {
                let f: Finding? = identities.withLock { t in
                    if t[id] == nil, t.count >= Self.maxIdentities { untracked.increment(); return nil }
                    return t[id, default: IdentityWatch()].observe(o, policy.tuning)
                }
                if let f { out.append(f) }
            }
        }
        for var f in out where policy.action(f.detector, f.environment) != .off {
            raised[f.detector]?.increment()
            if policy.action(f.detector, f.environment) == .block {
                // A block is by address (what verify checks), whatever the finding quoted (a new user agent…).
                f.source = o.ip
                if let ip = o.ip { block(ip, until: f.at.unixMillis + Int64(policy.blockSeconds) * 1000) }
            }
            let queued = pending.withLock { q in
                guard q.count < Self.maxPending else { return false }
                q.append(f)
                return true
            }
            if queued { wake.yield() } else { untracked.increment() }
        }
    }

    /// Takes the queued findings (the recorder writes them; on failure it puts them back).
    package func take() -> [Finding] {
        pending.withLock { q in
            defer { q.removeAll(keepingCapacity: false) }
            return q
        }
    }

    /// Puts back findings whose write failed, ahead of newer ones (within the cap).
    package func restore(_ findings: [Finding]) {
        // No wake-up: the recorder retries on its next minute, not in a loop against a store that is down.
        pending.withLock { q in q = Array((findings + q).prefix(Self.maxPending)) }
    }

    // MARK: blocked sources

    /// Whether `ip` is refused at `now` (ms). One atomic load while nothing is blocked.
    @inline(__always)
    package func isBlocked(_ ip: String?, at now: Int64) -> Bool {
        guard let ip, blockCount.load(ordering: .relaxed) > 0 else { return false }
        return blocks.withLock { ($0[ip] ?? .min) > now }
    }

    package func block(_ ip: String, until: Int64) {
        blocks.withLock { b in
            b[ip] = max(b[ip] ?? .min, until)
            blockCount.store(b.count, ordering: .relaxed)
        }
    }

    package func unblock(_ ip: String) {
        blocks.withLock { b in
            b[ip] = nil
            blockCount.store(b.count, ordering: .relaxed)
        }
    }

    // MARK: housekeeping

    /// Evicts state idle past its horizon: a key's after a week (its learned baseline goes with
    /// it), a source's and an identity's after their window, expired blocks.
    package func sweep(now: Int64) {
        let t = policy.tuning
        keys.withLock { Self.removeIdle(&$0) { now - $0.lastAt >= 7 * 86_400_000 } }
        sources.withLock { Self.removeIdle(&$0) { now - $0.lastAt >= Int64(max(t.enumerationWindowSeconds, t.cooldownSeconds)) * 1000 } }
        identities.withLock { Self.removeIdle(&$0) { now - $0.lastAt >= Int64(max(t.bruteForceWindowSeconds, t.cooldownSeconds)) * 1000 } }
        blocks.withLock { b in
            Self.removeIdle(&b) { $0 <= now }
            blockCount.store(b.count, ordering: .relaxed)
        }
    }

    /// Removes the idle entries in place. Verify waits on the lock meanwhile, so this never builds a
    /// new table: `filter` over 100,000 keys' state (allocating and copying each) held it for milliseconds.
    private static func removeIdle<K: Hashable, V>(_ table: inout [K: V], _ idle: (V) -> Bool) {
        var stale: [K] = []
        for i in table.indices where idle(table.values[i]) { stale.append(table.keys[i]) }
        for k in stale { table.removeValue(forKey: k) }
    }

    /// How much is tracked (for `/metrics` and `bench memory`).
    package var tracked: (keys: Int, sources: Int, identities: Int, blocked: Int) {
        (keys.withLock { $0.count }, sources.withLock { $0.count }, identities.withLock { $0.count }, blocks.withLock { $0.count })
    }

    package func finish() { wake.finish() }
}
