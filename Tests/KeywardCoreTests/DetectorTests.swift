import Foundation
import KeywardCore
import Testing

/// The detectors as pure state machines on synthetic streams with explicit instants (ms).
@Suite("Detectors")
struct DetectorTests {
    let t = DetectionTuning()
    let key = KeyID.random()
    let identity = IdentityID.random()
    static let day: Int64 = 86_400_000

    func obs(_ at: Int64, _ reason: VerifyReason? = nil, ip: String? = "10.0.0.1", ua: String? = "svc/1.0", version: Int = 1,
             path: String? = nil, scopes: [String] = [], presented: Int = 0) -> Observation {
        Observation(at: at, reason: reason, keyID: key, version: version, identityID: identity, environment: .live, ip: ip, userAgent: ua,
                    certSubject: nil, path: path.map { Substring($0) }, required: scopes.compactMap(Scope.init), presentedHash: presented)
    }

    func run(_ w: inout KeyWatch, _ o: Observation) -> [Finding] {
        var out: [Finding] = []
        w.observe(o, t, runs: { _ in true }, into: &out)
        return out
    }

    /// Calls spread evenly over a minute, `perMinute` of them, for minutes [from, to).
    func minutes(_ w: inout KeyWatch, from: Int64, to: Int64, perMinute: (Int64) -> Int) -> [Finding] {
        var found: [Finding] = []
        for m in from..<to {
            let n = perMinute(m)
            for i in 0..<n { found += run(&w, obs(m * 60_000 + Int64(i) * 60_000 / Int64(max(n, 1)))) }
        }
        return found
    }

    @Test("enumeration: twenty distinct unknown keys from one source within a minute; one wrong key repeated is not")
    func enumeration() {
        var s = SourceWatch()
        var found: [Finding] = []
        for i in 0..<19 { if let f = s.observe(obs(Int64(i) * 1000, .notFound, presented: i), t) { found.append(f) } }
        #expect(found.isEmpty)
        let f = s.observe(obs(30_000, .malformed, presented: 99), t)
        #expect(f?.detector == .enumeration && f?.evidence.count == 20 && f?.source == "10.0.0.1")
        var broken = SourceWatch()
        for i in 0..<500 { #expect(broken.observe(obs(Int64(i) * 100, .notFound, presented: 7), t) == nil) }
        // Nineteen a minute, window after window, never crosses.
        var slow = SourceWatch()
        for i in 0..<(19 * 10) { #expect(slow.observe(obs(Int64(i / 19) * 61_000 + Int64(i % 19), .notFound, presented: i), t) == nil) }
    }

    @Test("brute force: a hundred failures against one identity from three sources; from one source it is the rate limit's business")
    func bruteForce() {
        var w = IdentityWatch()
        var found: [Finding] = []
        for i in 0..<100 { if let f = w.observe(obs(Int64(i) * 1000, .revoked, ip: "10.9.0.\(i % 3)"), t) { found.append(f) } }
        #expect(found.count == 1 && found[0].detector == .bruteForce && found[0].evidence.sources.count == 3)
        #expect(found[0].evidence.items == ["revoked=100"])
        var one = IdentityWatch()
        for i in 0..<1_000 { #expect(one.observe(obs(Int64(i) * 100, .revoked, ip: "10.9.0.1"), t) == nil) }
        // A quarantined key's own callers, still calling from their usual hosts, are not guessing.
        #expect(!obs(0, .quarantined).isCredentialFailure && obs(0, .revoked).isCredentialFailure)
    }

    @Test("volume: a steady heavy user is not a spike; a sudden minute far above the baseline is")
    func spike() {
        var w = KeyWatch()
        // Six hours at 800 a minute, ±10%.
        let steady = minutes(&w, from: 0, to: 360) { m in 800 + Int((m * 37) % 160) - 80 }
        #expect(steady.isEmpty)
        var quiet = KeyWatch()
        #expect(minutes(&quiet, from: 0, to: 180) { _ in 10 }.isEmpty)
        let burst = minutes(&quiet, from: 180, to: 181) { _ in 2_000 }
        #expect(burst.map(\.detector) == [.volumeSpike])
        #expect(burst.first?.evidence.threshold == Double(t.spikeFloor))
    }

    @Test("volume: a daily batch hour learned as baseline is not a spike from the second day on")
    func dailyPeak() {
        var w = KeyWatch()
        let perMinute: (Int64) -> Int = { m in ((m / 60) % 24) == 2 ? 1_500 : 20 }
        _ = minutes(&w, from: 0, to: 24 * 60, perMinute: perMinute)  // the first day may alarm: nothing is learned yet
        let later = minutes(&w, from: 24 * 60, to: 3 * 24 * 60, perMinute: perMinute)
        #expect(later.isEmpty)
    }

    @Test("volume: a key first seen inside its batch hour learns that hour from the minutes it watched: no alarm on the second night")
    func firstHourLearned() {
        var w = KeyWatch()
        // First seen at 02:10; the batch runs 02:00–03:00 every night.
        let perMinute: (Int64) -> Int = { m in ((m / 60) % 24) == 2 ? 1_500 : 20 }
        _ = minutes(&w, from: 130, to: 24 * 60, perMinute: perMinute)
        #expect(minutes(&w, from: 24 * 60, to: 2 * 24 * 60, perMinute: perMinute).isEmpty)
    }

    @Test("volume: a slow climb no fixed threshold sees is found, against the learned baseline")
    func climb() throws {
        var w = KeyWatch()
        #expect(minutes(&w, from: 0, to: 6 * 60) { _ in 40 }.isEmpty)
        // +10% every ten minutes: never a spike, 9× in four hours.
        let ramp = minutes(&w, from: 6 * 60, to: 10 * 60) { m in Int(40 * pow(1.1, Double((m - 360) / 10))) }
        #expect(ramp.map(\.detector) == [.volumeClimb])
        let e = try #require(ramp.first).evidence
        #expect(e.baseline.map { $0 > 35 && $0 < Double(e.count) / t.climbFactor } == true)
        #expect(Double(e.count) > t.climbFactor * 40 * 0.9)
    }

    @Test("new source: a stable key's new address is found; a rotation's new version from a new deploy is explained")
    func newSource() {
        var w = KeyWatch()
        for i in 0..<300 { #expect(run(&w, obs(Int64(i) * 600_000)).isEmpty) }  // 50 hours from one source
        let new = run(&w, obs(2 * Self.day + 10, ip: "203.0.113.9"))
        #expect(new.map(\.detector) == [.newSource])
        #expect(new.first?.source == "203.0.113.9" && new.first?.evidence.items == ["address"])

        var rotated = KeyWatch()
        for i in 0..<300 { _ = run(&rotated, obs(Int64(i) * 600_000)) }
        #expect(run(&rotated, obs(2 * Self.day + 10, version: 2)).isEmpty)  // the new version from the old host
        #expect(run(&rotated, obs(2 * Self.day + 20, ip: "10.1.2.3", ua: "svc/2.0", version: 2)).isEmpty)  // the new deploy

        var young = KeyWatch()
        for i in 0..<50 { #expect(run(&young, obs(Int64(i) * 1000, ip: "10.0.\(i % 5).1")).isEmpty) }
    }

    @Test("scope probing: five distinct refused scopes; one refused scope repeated is a misconfiguration, not a probe")
    func scopeProbing() {
        var w = KeyWatch()
        var found: [Finding] = []
        for (i, s) in ["billing:read", "billing:write", "users:read", "admin", "keys:write"].enumerated() {
            found += run(&w, obs(Int64(i) * 1000, .insufficientScope, scopes: [s]))
        }
        #expect(found.map(\.detector) == [.scopeProbing] && found[0].evidence.items.count == 5)
        var misconfigured = KeyWatch()
        for i in 0..<200 { #expect(run(&misconfigured, obs(Int64(i) * 1000, .insufficientScope, scopes: ["billing:write", "billing:read"])).isEmpty) }
    }

    @Test("object enumeration: a key walking ids far beyond its usual distinct paths; a key that always touches many is not")
    func objects() {
        var w = KeyWatch()
        let window: Int64 = 600_000
        for win in 0..<6 { for p in 0..<20 { #expect(run(&w, obs(Int64(win) * window + Int64(p) * 1000, path: "/v1/orders/\(p)")).isEmpty) } }
        var found: [Finding] = []
        for p in 0..<600 { found += run(&w, obs(6 * window + Int64(p) * 500, path: "/v1/users/\(p)")) }
        #expect(found.map(\.detector) == [.objectEnumeration])
        #expect((found.first?.evidence.count ?? 0) >= t.objectFloor)

        var busy = KeyWatch()
        for win in 0..<8 { for p in 0..<250 { #expect(run(&busy, obs(Int64(win) * window + Int64(p) * 2000, path: "/v1/items/\(win * 1000 + p)")).isEmpty) } }
    }

    @Test("human use: a browser at once; curl at irregular human gaps; curl on a fixed schedule is a job")
    func human() {
        var w = KeyWatch()
        let browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
        #expect(run(&w, obs(0, ua: browser)).map(\.detector) == [.humanUse])
        var c = KeyWatch()
        var at: Int64 = 0
        var found: [Finding] = []
        for gap in [4, 31, 7, 95, 12, 3, 48, 20] as [Int64] { at += gap * 1000; found += run(&c, obs(at, ua: "curl/8.5.0")) }
        #expect(found.map(\.detector) == [.humanUse] && found[0].evidence.items == ["interactive"])
        // The same person while the key's own service keeps calling in between.
        var shared = KeyWatch()
        var found2: [Finding] = []
        at = 0
        for gap in [4, 31, 7, 95, 12, 3, 48, 20] as [Int64] {
            for i in 0..<gap { _ = run(&shared, obs(at + i * 1000, ua: "billing-worker/3.1")) }
            at += gap * 1000
            found2 += run(&shared, obs(at + 500, ua: "curl/8.5.0"))
        }
        #expect(found2.map(\.detector) == [.humanUse])
        var cron = KeyWatch()
        for i in 0..<50 { #expect(run(&cron, obs(Int64(i) * 60_000 + Int64(i % 3) * 100, ua: "curl/8.5.0")).isEmpty) }
        var headless = KeyWatch()
        #expect(run(&headless, obs(0, ua: "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0 Safari/537.36")).isEmpty)
    }

    @Test("policy: defaults block enumeration and notify the rest; --detect rules parse, and nonsense is refused")
    func policy() throws {
        var p = DetectionPolicy()
        #expect(p.action(.enumeration, .live) == .block && p.action(.volumeClimb, .test) == .notify)
        try p.apply("live:volume_climb=quarantine, scope_probing=off, block_seconds=600")
        #expect(p.action(.volumeClimb, .live) == .quarantine && p.action(.volumeClimb, .test) == .notify)
        #expect(p.action(.scopeProbing, .test) == .off && p.blockSeconds == 600)
        for bad in ["enumeration=quarantine", "volume_spike=block", "brute_force=block", "brute_force=quarantine", "nope=notify", "volume_climb=explode", "block_seconds=5", "x"] {
            var q = DetectionPolicy()
            #expect(throws: KeywardError.self) { try q.apply(bad) }
        }
        var off = DetectionPolicy()
        try off.apply("off")
        #expect(DetectorKind.allCases.allSatisfy { !off.runs($0) })
    }
}
