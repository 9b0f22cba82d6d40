import Foundation
import KeywardCore

/// The injected attacks. Each key attack takes a key no other attack uses. An attack is sized to
/// be visible to its detector by design — a climb or spike whose peak is half again above the
/// detector's absolute floor (at the key's base rate), credential sharing on a key with a stable history (no deploy in the day
/// before), object enumeration on a key seen through forward-auth — and when too few keys
/// qualify the mix holds fewer attacks (the report counts them).
extension DetectTraffic {
    mutating func inject(perDetector n: Int, tuning t: DetectionTuning) {
        var used = Set<Int>()
        for _ in 0..<n {
            // Enumeration: one source, a new unknown key each call at 1–10/s, for 2–20 minutes.
            let enumDuration = Int64(rng.between(2, 20) * Double(Self.minute))
            if let s = startTime(after: 10 * Self.minute, lasting: enumDuration) {
                let ip = address(100)
                streams.append(SimStream(kind: .unknownKeys(ip: ip, hashes: []), nextAt: s, end: s + enumDuration, gap: .exponential(meanMs: 1_000 / rng.between(1, 10))))
                labels.append(AttackLabel(detector: .enumeration, variant: "", start: s, end: s + enumDuration, source: ip,
                                          note: String(format: "%.1f unknown keys/s for %.0f min", 1_000 / Self.meanGap(streams.last!), Double(enumDuration) / 60_000)))
            }
            // Brute force: revoked and rotated keys of one identity from 3–10 sources, 0.5–5/s in all, 5–30 minutes.
            let bfDuration = Int64(rng.between(5, 30) * Double(Self.minute))
            if let s = startTime(after: Self.hour, lasting: bfDuration) {
                let identity = identities[rng.below(identities.count)]
                let ips = (0..<(3 + rng.below(8))).map { _ in address(101) }
                let key = keys.first { $0.identity == identity }?.id ?? KeyID(raw: UInt128(rng.next()))
                streams.append(SimStream(kind: .failures(identity: identity, key: key, ips: ips), nextAt: s, end: s + bfDuration,
                                         gap: .exponential(meanMs: 1_000 / rng.between(0.5, 5))))
                labels.append(AttackLabel(detector: .bruteForce, variant: "", start: s, end: s + bfDuration, identity: identity,
                                          note: String(format: "%d sources, %.1f failures/s for %.0f min", ips.count, 1_000 / Self.meanGap(streams.last!), Double(bfDuration) / 60_000)))
            }
            // A scraping climb: ×1.05–1.2 every 10 minutes up to 5–20×, held 1–3 hours.
            let growth = rng.between(1.05, 1.2), cap = rng.between(5, 20)
            let climbDuration = Int64((log(cap) / log(growth) * 10 + rng.between(60, 180)) * Double(Self.minute))
            if let s = startTime(after: 6 * Self.hour, lasting: climbDuration),
               let k = pickKey(&used, { $0.base * cap >= 1.5 * t.climbFloor }) {
                keys[k].surge = .climb(start: s, growthPer10Minutes: growth, cap: cap, end: s + climbDuration)
                labels.append(AttackLabel(detector: .volumeClimb, variant: "", start: s, end: s + climbDuration, key: keys[k].id,
                                          note: String(format: "×%.2f per 10 min up to ×%.1f; ", growth, cap) + Self.describe(keys[k])))
            }
            // A sudden spike: ×20–100 for 2–10 minutes.
            let factor = rng.between(20, 100)
            let spikeDuration = Int64(rng.between(2, 10) * Double(Self.minute))
            if let s = startTime(after: 6 * Self.hour, lasting: spikeDuration),
               let k = pickKey(&used, { $0.base * factor >= 1.5 * Double(t.spikeFloor) }) {
                keys[k].surge = .spike(start: s, factor: factor, end: s + spikeDuration)
                labels.append(AttackLabel(detector: .volumeSpike, variant: "", start: s, end: s + spikeDuration, key: keys[k].id,
                                          note: String(format: "×%.0f for %.1f min; ", factor, Double(spikeDuration) / 60_000) + Self.describe(keys[k])))
            }
            // Credential sharing: a stable key also used from a new address and user agent, for 1–6 hours.
            let shareDuration = Int64(rng.between(1, 6) * Double(Self.hour))
            let stable = Int64(t.stableSeconds) * 1000
            if let s = startTime(after: stable + 2 * Self.hour, lasting: shareDuration),
               let k = pickKey(&used, { k in k.base * Double(stable / Self.minute) > 2 * Double(t.stableCalls) && !k.deploys.contains { $0 > s - stable - Self.hour && $0 <= s } }) {
                let agent = Self.otherAgents[rng.below(Self.otherAgents.count)]
                streams.append(SimStream(kind: .borrowed(key: k, ip: address(102), userAgent: agent), nextAt: s, end: s + shareDuration,
                                         gap: .exponential(meanMs: 60_000 / max(0.5, keys[k].base * 0.3))))
                labels.append(AttackLabel(detector: .newSource, variant: "", start: s, end: s + shareDuration, key: keys[k].id,
                                          note: "\(agent) from a new address; " + Self.describe(keys[k])))
            }
            // Human use: a browser (3–15 calls), or an interactive tool (12–40 calls), at think-time gaps, from a laptop.
            let browser = rng.chance(0.5)
            let calls = browser ? 3 + rng.below(13) : 12 + rng.below(29)
            let humanDuration = Int64(calls) * 90_000
            if let s = startTime(after: 6 * Self.hour, lasting: humanDuration), let k = pickKey(&used, { _ in true }) {
                let agent = browser ? Self.browsers[rng.below(Self.browsers.count)] : Self.tools[rng.below(Self.tools.count)]
                var stream = SimStream(kind: .borrowed(key: k, ip: address(103), userAgent: agent), nextAt: s, end: s + humanDuration, gap: .human(medianMs: 20_000))
                stream.remaining = calls
                streams.append(stream)
                labels.append(AttackLabel(detector: .humanUse, variant: browser ? "browser" : "interactive tool", start: s,
                                          end: s + humanDuration, key: keys[k].id, note: "\(agent.prefix(24)), \(calls) calls; " + Self.describe(keys[k])))
            }
            // Scope probing: 6–25 distinct scopes, one call every 2–30 s.
            let scopeCount = 6 + rng.below(20)
            let probeDuration = Int64(scopeCount) * 30_000
            if let s = startTime(after: Self.hour, lasting: probeDuration), let k = pickKey(&used, { _ in true }) {
                var scopes: [Scope] = []
                while scopes.count < scopeCount {
                    let s = Scope("\(Self.services[rng.below(Self.services.count)]):\(Self.verbs[rng.below(Self.verbs.count)])\(scopes.count / 40)")!
                    if !scopes.contains(s), !keys[k].required.contains(s) { scopes.append(s) }
                }
                streams.append(SimStream(kind: .probe(key: k, ip: address(104), scopes: scopes), nextAt: s, end: s + probeDuration,
                                         gap: .uniform(lowMs: 2_000, highMs: 30_000)))
                labels.append(AttackLabel(detector: .scopeProbing, variant: "", start: s, end: s + probeDuration, key: keys[k].id,
                                          note: "\(scopeCount) scopes; " + Self.describe(keys[k])))
            }
            // Object enumeration: a forward-auth key walking consecutive ids at 2–20/s for 10–40 minutes.
            let walkDuration = Int64(rng.between(10, 40) * Double(Self.minute))
            if let s = startTime(after: 6 * Self.hour, lasting: walkDuration), let k = pickKey(&used, { if case .none = $0.paths { false } else { true } }) {
                streams.append(SimStream(kind: .walk(key: k, from: 100_000 + rng.below(1_000_000)), nextAt: s, end: s + walkDuration,
                                         gap: .exponential(meanMs: 1_000 / rng.between(2, 20))))
                labels.append(AttackLabel(detector: .objectEnumeration, variant: "", start: s, end: s + walkDuration,
                                          key: keys[k].id, note: String(format: "%.1f ids/s for %.0f min; ", 1_000 / Self.meanGap(streams.last!), Double(walkDuration) / 60_000)
                                            + Self.describe(keys[k])))
            }
        }
    }

    static func meanGap(_ s: SimStream) -> Double {
        if case .exponential(let mean) = s.gap { return mean }
        return 1
    }

    /// A start at least `after` into the replay, leaving room for `lasting`; nil when none fits.
    private mutating func startTime(after: Int64, lasting: Int64) -> Int64? {
        let low = start + after, high = end - lasting
        guard high > low else { return nil }
        return low + Int64(rng.unit() * Double(high - low))
    }

    /// A key no attack uses yet that qualifies: random tries, then a scan from a random place.
    private mutating func pickKey(_ used: inout Set<Int>, _ ok: (SimKey) -> Bool) -> Int? {
        for _ in 0..<64 {
            let i = rng.below(keys.count)
            if !used.contains(i), ok(keys[i]) { used.insert(i); return i }
        }
        let from = rng.below(keys.count)
        for j in 0..<keys.count {
            let i = (from + j) % keys.count
            if !used.contains(i), ok(keys[i]) { used.insert(i); return i }
        }
        return nil
    }
}
