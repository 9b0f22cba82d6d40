import Foundation
import KeywardCore
import KeywardVerify

/// One simulated minute's calls, fed to the engine in time order (sorted by packed
/// offset-and-index, so the observations themselves are never moved).
struct DetectBatch {
    var observations: [Observation] = []
    var subjects: [WatchSubject?] = []
    var order: [UInt64] = []
    var minuteStart: Int64 = 0

    mutating func reset(_ m: Int64) {
        minuteStart = m
        observations.removeAll(keepingCapacity: true)
        subjects.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
    }

    mutating func add(_ o: Observation, _ subject: WatchSubject?) {
        order.append(UInt64(o.at - minuteStart) << 32 | UInt64(observations.count))
        observations.append(o)
        subjects.append(subject)
    }
}

/// What the replay counted.
struct ReplayCounts {
    /// Calls the detectors saw.
    var calls = 0
    /// Calls refused because their source was blocked (the verify point answers `source_blocked`
    /// without observing them).
    var blocked = 0
    /// Time spent inside the engine (observe, take, sweep), wall clock.
    var engine = Duration.zero
    /// The most the engine tracked at once (read each simulated minute, before the sweep).
    var peak = (keys: 0, sources: 0, identities: 0, blocked: 0)
}

extension DetectTraffic {
    static let handfulPaths = ["/v1/status", "/v1/items", "/v1/items/search", "/v1/me", "/v1/config", "/v1/health/deep", "/v1/reports/daily",
                               "/v1/exports", "/v1/webhooks", "/v1/settings"]

    /// Replays every minute into `engine` as the verify point would (a blocked source is refused
    /// before it is observed; the engine is swept once a minute, like `DetectionRecorder`), and
    /// hands each minute's findings to `score`.
    mutating func replay(into engine: DetectionEngine, score: inout DetectScore) -> ReplayCounts {
        var counts = ReplayCounts()
        var batch = DetectBatch()
        let clock = ContinuousClock()
        var m = start
        while m < end {
            fill(minute: m, into: &batch)
            batch.order.sort()
            let began = clock.now
            for packed in batch.order {
                let i = Int(packed & 0xFFFF_FFFF)
                let o = batch.observations[i]
                if engine.isBlocked(o.ip, at: o.at) { counts.blocked += 1; continue }
                engine.observe(o, subject: batch.subjects[i])
            }
            let found = engine.take()
            let t = engine.tracked
            counts.peak = (max(counts.peak.keys, t.keys), max(counts.peak.sources, t.sources), max(counts.peak.identities, t.identities),
                           max(counts.peak.blocked, t.blocked))
            engine.sweep(now: m + Self.minute)
            counts.engine += clock.now - began
            counts.calls += batch.order.count
            for f in found { score.score(f) }
            m += Self.minute
        }
        counts.calls -= counts.blocked
        return counts
    }

    /// The calls of the minute starting at `m`.
    mutating func fill(minute m: Int64, into batch: inout DetectBatch) {
        batch.reset(m)
        let next = m + Self.minute
        for k in keys.indices {
            deploy(k, before: next)
            let n = rng.poisson(keys[k].rate(at: m))
            for _ in 0..<n { keyCall(k, at: m + Int64(rng.below(60_000)), into: &batch) }
        }
        for i in streams.indices {
            while streams[i].nextAt < next, streams[i].nextAt < streams[i].end, streams[i].remaining > 0 {
                let at = streams[i].nextAt
                if at >= m { streamCall(i, at: at, into: &batch) }
                streams[i].n += 1
                streams[i].remaining -= 1
                streams[i].nextAt = at + max(1, Int64(gap(streams[i].gap)))
            }
        }
    }

    /// A deploy rotates the key (a new version) and moves one of its clients to a new address;
    /// sometimes the old address keeps presenting the rotated version for 10–90 minutes.
    private mutating func deploy(_ k: Int, before next: Int64) {
        while let d = keys[k].deploys.first, d < next {
            keys[k].deploys.removeFirst()
            keys[k].version += 1
            let j = rng.below(keys[k].addresses.count)
            let old = keys[k].addresses[j]
            keys[k].addresses[j] = address(10)
            if rng.chance(0.3) { keys[k].straggler = (old, keys[k].version - 1, d + Int64(rng.between(10, 90) * Double(Self.minute))) }
        }
    }

    private mutating func path(_ paths: Paths) -> Substring? {
        switch paths {
        case .none: nil
        case .handful(let n): Substring(Self.handfulPaths[rng.below(n)])
        case .many(let pool): Substring("/v1/items/\(rng.below(pool))")
        }
    }

    private mutating func keyCall(_ k: Int, at: Int64, into batch: inout DetectBatch) {
        let key = keys[k]
        if let s = key.straggler, at < s.until, rng.chance(1 / Double(key.addresses.count + 1)) {
            batch.add(Observation(at: at, reason: .rotated, keyID: key.id, version: s.version, identityID: key.identity, environment: .live, ip: s.ip,
                                  userAgent: key.userAgent, certSubject: nil, path: nil, required: key.required, presentedHash: 0), .key(key.id))
            return
        }
        let refused = key.misScope != nil && rng.chance(key.misShare)
        batch.add(Observation(at: at, reason: refused ? .insufficientScope : nil, keyID: key.id, version: key.version, identityID: key.identity,
                              environment: .live, ip: key.addresses[rng.below(key.addresses.count)], userAgent: key.userAgent, certSubject: nil,
                              path: path(key.paths), required: refused ? [key.misScope!] : key.required, presentedHash: 0), .key(key.id))
    }

    private mutating func streamCall(_ i: Int, at: Int64, into batch: inout DetectBatch) {
        let s = streams[i]
        switch s.kind {
        case .unknownKeys(let ip, let hashes):
            let fresh = hashes.isEmpty
            batch.add(Observation(at: at, reason: fresh && rng.chance(0.1) ? .malformed : .notFound, keyID: nil, version: nil, identityID: nil,
                                  environment: nil, ip: ip, userAgent: fresh ? "python-requests/2.31.0" : "okhttp/4.11.0", certSubject: nil, path: nil,
                                  required: [], presentedHash: fresh ? Int(truncatingIfNeeded: rng.next()) : hashes[rng.below(hashes.count)]), nil)
        case .failures(let identity, let key, let ips):
            batch.add(Observation(at: at, reason: rng.chance(0.5) ? .revoked : .rotated, keyID: key, version: 1, identityID: identity, environment: .live,
                                  ip: ips[rng.below(ips.count)], userAgent: "python-requests/2.31.0", certSubject: nil, path: nil, required: [],
                                  presentedHash: 0), .key(key))
        case .borrowed(let k, let ip, let agent):
            let key = keys[k]
            batch.add(Observation(at: at, reason: nil, keyID: key.id, version: key.version, identityID: key.identity, environment: .live, ip: ip,
                                  userAgent: agent, certSubject: nil, path: path(key.paths), required: key.required, presentedHash: 0), .key(key.id))
        case .probe(let k, let ip, let scopes):
            let key = keys[k]
            batch.add(Observation(at: at, reason: .insufficientScope, keyID: key.id, version: key.version, identityID: key.identity, environment: .live,
                                  ip: ip, userAgent: "python-httpx/0.27.0", certSubject: nil, path: nil, required: [scopes[s.n % scopes.count]],
                                  presentedHash: 0), .key(key.id))
        case .walk(let k, let from):
            let key = keys[k]
            batch.add(Observation(at: at, reason: nil, keyID: key.id, version: key.version, identityID: key.identity, environment: .live,
                                  ip: key.addresses[0], userAgent: key.userAgent, certSubject: nil, path: Substring("/v1/objects/\(from + s.n)"),
                                  required: key.required, presentedHash: 0), .key(key.id))
        }
    }

    private mutating func gap(_ g: SimStream.Gap) -> Double {
        switch g {
        case .exponential(let mean): rng.exponential(mean: mean)
        case .human(let median): rng.logNormal(median: median, sigma: 0.9)
        case .uniform(let low, let high): rng.between(low, high)
        }
    }
}
