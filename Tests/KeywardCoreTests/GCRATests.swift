import Foundation
import KeywardCore
import Testing

/// GCRA as a pure state machine on instants made by hand (no sleeping, no wall clock): case 64 of
/// docs/security-cases.md and the answers verify will give (`remaining`, `retry_after`, `reset`).
@Suite("Rate limits: GCRA on a manual monotonic clock")
struct GCRATests {
    let t0 = ContinuousClock.now
    func at(_ ms: Int) -> ContinuousClock.Instant { t0 + .milliseconds(ms) }

    /// Admits `n` requests at `now`; returns how many passed.
    func burst(_ g: GCRA, _ tat: inout ContinuousClock.Instant?, _ n: Int, at now: ContinuousClock.Instant) -> Int {
        (0..<n).filter { _ in g.decide(tat: &tat, now: now).admitted }.count
    }

    // case 64 of docs/security-cases.md
    @Test("case 64: a full limit at t=0.99 s and again at t=1.01 s admits burst + rate·Δt, not two windows' worth")
    func windowEdge() throws {
        let g = GCRA(try #require(RateLimit(limit: 10, periodSeconds: 1)))
        var tat: ContinuousClock.Instant?
        let first = burst(g, &tat, 10, at: at(990))
        let second = burst(g, &tat, 10, at: at(1_010))
        #expect(first == 10)
        #expect(first + second <= 10 + Int(10 * 0.02), "a fixed window would admit 20 here")
        // The next slot opens one emission interval (100 ms) after the burst's last is spent: at 1.09 s.
        let refused = g.decide(tat: &tat, now: at(1_050))
        #expect(!refused.admitted)
        #expect(refused.retryAfter == .milliseconds(40))
        #expect(g.decide(tat: &tat, now: at(1_090)).admitted)
    }

    @Test("a steady client at exactly the rate is always admitted; one a little faster is refused once its burst is spent, and a refusal costs nothing")
    func steadyRate() throws {
        let g = GCRA(try #require(RateLimit(limit: 5, periodSeconds: 1, burst: 2)))
        var tat: ContinuousClock.Instant?
        for i in 0..<50 { #expect(g.decide(tat: &tat, now: at(i * 200)).admitted, "request \(i)") }
        var fast: ContinuousClock.Instant?
        let admitted = (0..<20).filter { g.decide(tat: &fast, now: at($0 * 150)).admitted }.count
        // 20 requests over 2.85 s at 5/s with a burst of 2: at most 2 + 5 × 2.85 = 16.25.
        #expect(admitted <= 16)
        #expect(admitted >= 14)
        // Knocking while refused does not push the next slot away.
        var t: ContinuousClock.Instant?
        _ = burst(g, &t, 2, at: at(0))
        for ms in stride(from: 1, to: 200, by: 10) { #expect(!g.decide(tat: &t, now: at(ms)).admitted) }
        #expect(g.decide(tat: &t, now: at(200)).admitted)
    }

    @Test("remaining counts down the burst, reset is the time until the limit is whole, retry_after the time until the next slot")
    func answers() throws {
        let g = GCRA(try #require(RateLimit(limit: 60, periodSeconds: 60, burst: 3)))
        var tat: ContinuousClock.Instant?
        let a = g.decide(tat: &tat, now: at(0)), b = g.decide(tat: &tat, now: at(0)), c = g.decide(tat: &tat, now: at(0))
        let counts: [Int] = [a.remaining, b.remaining, c.remaining]
        #expect(counts == [2, 1, 0])
        #expect(c.reset == .seconds(3))
        let d = g.decide(tat: &tat, now: at(0))
        #expect(!d.admitted && d.remaining == 0 && d.retryAfter == .seconds(1) && d.reset == .seconds(3))
        // A request costing 2 needs two free slots.
        var fresh: ContinuousClock.Instant?
        #expect(g.decide(tat: &fresh, now: at(0), cost: 2).remaining == 1)
        #expect(!g.decide(tat: &fresh, now: at(0), cost: 2).admitted)
    }

    @Test("limits outside 1…1,000,000 requests, 1 s…1 day or a burst of 0 are refused")
    func bounds() {
        #expect(RateLimit(limit: 0, periodSeconds: 1) == nil)
        #expect(RateLimit(limit: 1, periodSeconds: 0) == nil)
        #expect(RateLimit(limit: 1, periodSeconds: 86_401) == nil)
        #expect(RateLimit(limit: 1, periodSeconds: 1, burst: 0) == nil)
        #expect(RateLimit(limit: 10, periodSeconds: 1)?.burst == 10, "burst defaults to the limit")
    }

    @Test("the table stays within its capacity: whole entries are forgotten first (losslessly), busy ones only past capacity")
    func boundedMemory() throws {
        let g = GCRA(try #require(RateLimit(limit: 1, periodSeconds: 60, burst: 1)))
        let table = RateLimiter<Int>(capacity: 100)
        for k in 0..<100 { #expect(table.decide(k, limit: g, now: at(0)).admitted) }
        #expect(table.count == 100)
        #expect(!table.decide(7, limit: g, now: at(1_000)).admitted, "a busy key stays limited")
        // A minute later every entry is whole: a new key makes room by forgetting them, and loses nothing.
        #expect(table.decide(1_000, limit: g, now: at(61_000)).admitted)
        #expect(table.count == 1)
        #expect(table.decide(7, limit: g, now: at(61_000)).admitted, "a forgotten whole entry decides like a kept one")
        // Past capacity with every entry busy, the table still does not grow beyond it.
        for k in 2_000..<2_300 { _ = table.decide(k, limit: g, now: at(62_000)) }
        #expect(table.count <= 100)
    }
}
