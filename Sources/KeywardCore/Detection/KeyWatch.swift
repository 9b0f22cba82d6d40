import Foundation

/// Everything the detectors keep about one key, in one value so a verify costs one table lookup.
/// Bounded: the known sources (32 hashes), probed scopes (8 names), a 2,048-bit path bitmap
/// allocated only for keys seen through forward-auth, and fixed-size counters.
package struct KeyWatch: Sendable {
    package private(set) var lastAt: Int64 = 0
    private var volume = VolumeWatch()
    private var sources = SourceHistory()
    private var probe = ScopeProbe()
    private var objects: PathCount?
    private var human = HumanCadence()
    private var raised = InlineArray<8, Int64>(repeating: .min)

    package init() {}

    /// Feeds one verify of this key; appends what it raised (each detector at most once per cooldown).
    package mutating func observe(_ o: Observation, _ t: DetectionTuning, runs: (DetectorKind) -> Bool, into out: inout [Finding]) {
        lastAt = max(lastAt, o.at)
        if o.reason == nil {
            if runs(.volumeSpike) || runs(.volumeClimb), let (d, e) = volume.observe(at: o.at, t) { raise(d, e, o, source: o.ip, t, into: &out) }
            if runs(.newSource), let (src, e) = sources.observe(o, t) { raise(.newSource, e, o, source: src, t, into: &out) }
            if runs(.humanUse), let o2 = o.userAgent, let e = human.observe(at: o.at, userAgent: o2, t) {
                raise(.humanUse, e, o, source: o.ip ?? o2, t, into: &out)
            }
            if runs(.objectEnumeration), let path = o.path {
                if objects == nil { objects = PathCount() }
                if let e = objects!.observe(path, at: o.at, t) { raise(.objectEnumeration, e, o, source: o.ip, t, into: &out) }
            }
        } else if o.reason == .insufficientScope, runs(.scopeProbing), let e = probe.observe(o.required, at: o.at, t) {
            raise(.scopeProbing, e, o, source: o.ip, t, into: &out)
        }
    }

    private mutating func raise(_ d: DetectorKind, _ e: Finding.Evidence, _ o: Observation, source: String?, _ t: DetectionTuning,
                                into out: inout [Finding]) {
        let i = d.index % 8
        guard raised[i] == .min || o.at - raised[i] >= Int64(t.cooldownSeconds) * 1000 else { return }
        raised[i] = o.at
        out.append(Finding(detector: d, at: Date(unixMillis: o.at), keyID: o.keyID, clientID: o.clientID, identityID: o.identityID,
                           environment: o.environment, source: source, evidence: e))
    }
}

/// A key's known sources (addresses, certificate subjects, user agents) as 32-bit hashes; a new one
/// on a key with a stable history is a finding, unless a new key version appeared recently and
/// presents it (a deploy after a rotation). A key whose sources churn past 32 is volatile and not judged.
struct SourceHistory: Sendable {
    private var known: [Int32] = []
    private var calls = 0
    private var lastNewAt: Int64 = 0
    private var version = 0
    private var rotatedAt: Int64?
    private var volatile = false

    mutating func observe(_ o: Observation, _ t: DetectionTuning) -> (String, Finding.Evidence)? {
        if calls == 0 { lastNewAt = o.at; version = o.version ?? 0 }
        calls = min(calls + 1, Int(Int32.max))
        if let v = o.version, v > version { version = v; rotatedAt = o.at }
        guard !volatile else { return nil }
        var found: (String, Finding.Evidence)?
        // Unrolled (no array per call: this runs on every valid verify).
        if let v = o.ip, !check(1, "address", v, o, t, &found) { return found }
        if let v = o.certSubject, !check(2, "certificate subject", v, o, t, &found) { return found }
        if let v = o.userAgent, !check(3, "user agent", v, o, t, &found) { return found }
        return found
    }

    /// One attribute: false once the key turned volatile (stop looking).
    private mutating func check(_ kind: UInt8, _ tag: StaticString, _ value: String, _ o: Observation, _ t: DetectionTuning,
                                _ found: inout (String, Finding.Evidence)?) -> Bool {
        do {
            var h = Hasher()
            h.combine(kind)
            h.combine(value)
            let hash = Int32(truncatingIfNeeded: h.finalize())
            if known.contains(hash) { return true }
            let tag = "\(tag)"
            let stable = calls > t.stableCalls && o.at - lastNewAt >= Int64(t.stableSeconds) * 1000
            let explained = rotatedAt.map { o.version == version && o.at - $0 < Int64(t.rotationExplainsSeconds) * 1000 } ?? false
            if stable, !explained, found == nil {
                let days = Double(o.at - lastNewAt) / 86_400_000
                found = (value, .init(windowSeconds: Int((o.at - lastNewAt) / 1000), count: 1, baseline: Double(known.count), threshold: 1,
                                      sources: [String(value.prefix(256))], items: [tag],
                                      summary: "a \(tag) this key never used, after \(calls) calls from \(known.count) known values over \(VolumeWatch.format(days)) days"))
            }
            guard known.count < 32 else { volatile = true; return false }
            known.append(hash)
            lastNewAt = o.at
            return true
        }
    }
}

/// Distinct scopes a key was refused within a window.
struct ScopeProbe: Sendable {
    private var windowStart: Int64 = .min
    private var scopes: [String] = []
    private var refusals = 0

    mutating func observe(_ required: [Scope], at: Int64, _ t: DetectionTuning) -> Finding.Evidence? {
        if windowStart == .min || at - windowStart >= Int64(t.probeWindowSeconds) * 1000 {
            windowStart = at
            scopes.removeAll(keepingCapacity: true)
            refusals = 0
        }
        refusals += 1
        let before = scopes.count
        for s in required where scopes.count < max(8, t.probeScopes) && !scopes.contains(s.value) { scopes.append(s.value) }
        guard before < t.probeScopes, scopes.count >= t.probeScopes else { return nil }
        return .init(windowSeconds: t.probeWindowSeconds, count: scopes.count, threshold: Double(t.probeScopes), items: scopes,
                     summary: "\(refusals) refusals for \(scopes.count) distinct scopes the key does not hold")
    }
}

/// Distinct paths a key touched per window, counted in a 2,048-bit linear-counting bitmap (256
/// bytes, about 2% error up to a few thousand paths), against an average of its past windows.
struct PathCount: Sendable {
    private static let bits = 2_048
    private var map = [UInt64](repeating: 0, count: PathCount.bits / 64)
    private var set = 0
    private var windowStart: Int64 = .min
    private var usual = 0.0
    private var windows = 0
    private var raiseAt = 0
    private var sample: [String] = []

    mutating func observe(_ path: Substring, at: Int64, _ t: DetectionTuning) -> Finding.Evidence? {
        if windowStart == .min || at - windowStart >= Int64(t.objectWindowSeconds) * 1000 { roll(at: at, t) }
        var h = Hasher()
        h.combine(path)
        let b = Int(UInt(bitPattern: h.finalize()) % UInt(Self.bits))
        let mask = UInt64(1) << UInt64(b % 64)
        guard map[b / 64] & mask == 0 else { return nil }
        map[b / 64] |= mask
        set += 1
        if sample.count < 4 { sample.append(String(path.prefix(512))) }
        guard set == raiseAt else { return nil }
        let n = estimate
        return .init(windowSeconds: t.objectWindowSeconds, count: Int(n.rounded()), baseline: windows > 0 ? usual : nil,
                     threshold: max(Double(t.objectFloor), t.objectFactor * usual), items: sample,
                     summary: "about \(Int(n.rounded())) distinct paths in \(t.objectWindowSeconds / 60) minutes, "
                         + (windows > 0 ? "against a usual \(VolumeWatch.format(usual))" : "from a key with no usual count yet"))
    }

    private var estimate: Double {
        let m = Double(Self.bits)
        return -m * log(max(1, m - Double(set)) / m)
    }

    private mutating func roll(at: Int64, _ t: DetectionTuning) {
        if windowStart != .min {
            let n = estimate
            // A window that raised does not teach the usual count.
            if set < raiseAt || raiseAt == 0 { usual = windows == 0 ? n : usual + 0.3 * (n - usual); windows += 1 }
            for i in map.indices { map[i] = 0 }
        }
        windowStart = at
        set = 0
        sample.removeAll(keepingCapacity: true)
        let m = Double(Self.bits)
        let target = max(Double(t.objectFloor), t.objectFactor * usual)
        raiseAt = min(Self.bits - 1, Int((m * (1 - exp(-target / m))).rounded(.up)))
    }
}

/// A person behind a machine key: a browser's user agent at once; or an interactive tool (curl,
/// HTTPie, Postman, Insomnia, Wget) making calls at human gaps — seconds to minutes apart, irregular
/// (coefficient of variation at least 0.5) — for `humanCalls` calls in a row. A scheduled job has
/// regular gaps; a service calls faster. The tool's run is kept apart from the key's other
/// callers: the service that owns the key calling in between does not restart it.
struct HumanCadence: Sendable {
    private var lastUA = 0
    private var lastKind = Kind.machine
    private var runUA = 0
    private var lastAt: Int64 = .min
    private var n = 0
    private var mean = 0.0
    private var m2 = 0.0

    enum Kind { case browser, interactive, machine }

    mutating func observe(at: Int64, userAgent ua: String, _ t: DetectionTuning) -> Finding.Evidence? {
        var h = Hasher()
        h.combine(ua)
        let hash = h.finalize()
        if hash != lastUA { lastUA = hash; lastKind = Self.kind(ua) }
        switch lastKind {
        case .machine: return nil
        case .browser:
            return .init(windowSeconds: 0, count: 1, threshold: 1, sources: [String(ua.prefix(256))], items: ["browser"],
                         summary: "presented by a web browser (its user agent is in sources)")
        case .interactive:
            if hash != runUA { runUA = hash; restart() }
            defer { lastAt = at }
            guard lastAt != .min else { return nil }
            let gap = Double(at - lastAt) / 1000
            guard gap >= t.humanMinGap, gap <= t.humanMaxGap else { restart(); return nil }
            n += 1
            let d = gap - mean
            mean += d / Double(n)
            m2 += d * (gap - mean)
            guard n + 1 >= t.humanCalls, n >= 2 else { return nil }
            let cv = (m2 / Double(n - 1)).squareRoot() / mean
            guard cv >= 0.5 else { return nil }
            restart()
            return .init(windowSeconds: Int(gap), count: t.humanCalls, threshold: Double(t.humanCalls), sources: [String(ua.prefix(256))],
                         items: ["interactive"], summary: "\(t.humanCalls) calls from an interactive tool at irregular human gaps (variation \(VolumeWatch.format(cv)))")
        }
    }

    private mutating func restart() {
        n = 0
        mean = 0
        m2 = 0
        lastAt = .min
    }

    static func kind(_ ua: String) -> Kind {
        for p in ["curl/", "HTTPie/", "PostmanRuntime/", "insomnia/", "Wget/"] where ua.hasPrefix(p) { return .interactive }
        guard ua.hasPrefix("Mozilla/5.0"), !ua.contains("Headless"), !ua.lowercased().contains("bot") else { return .machine }
        for m in ["Chrome/", "Firefox/", "Safari/", "Edg/"] where ua.contains(m) { return .browser }
        return .machine
    }
}
