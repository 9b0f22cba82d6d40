import Foundation
import Synchronization

/// A rate limit as policy and the API state it: `limit` requests per `periodSeconds`, with at most
/// `burst` admitted at once (default: `limit`).
package struct RateLimit: Sendable, Hashable, Codable {
    package var limit: Int
    package var periodSeconds: Int
    package var burst: Int

    /// Nil unless 1 ≤ limit ≤ 1,000,000, 1 ≤ period ≤ 86,400 s and 1 ≤ burst ≤ 1,000,000.
    package init?(limit: Int, periodSeconds: Int, burst: Int? = nil) {
        let burst = burst ?? limit
        guard (1...1_000_000).contains(limit), (1...86_400).contains(periodSeconds), (1...1_000_000).contains(burst) else { return nil }
        self.limit = limit
        self.periodSeconds = periodSeconds
        self.burst = burst
    }
}

/// The generic cell rate algorithm (ITU-T I.371; the "virtual scheduling" form): one instant per
/// limited thing, the theoretical arrival time (TAT) of the next request if traffic were perfectly
/// spaced. A request is admitted when it comes no earlier than `burst − 1` emission intervals
/// before its TAT, so in any span Δt at most `burst + rate·Δt` requests pass — there is no window
/// edge to exploit (case 64 of docs/security-cases.md). Time is a monotonic clock's: a wall clock
/// stepped an hour either way grants no burst and locks no one out (case 67).
package struct GCRA: Sendable, Equatable {
    package let limit: RateLimit
    /// T: the period divided by the limit, in nanoseconds (rounded down: at most 1 ns a request in
    /// the client's favour). Integer nanoseconds, not `Duration`: its generic arithmetic cost more
    /// than the rest of verify's limits together (measured with `keyward bench memory`).
    let intervalNs: Int64
    /// τ + T: how far ahead of now the TAT may be after an admitted request.
    let horizonNs: Int64

    package var interval: Duration { .nanoseconds(intervalNs) }

    package init(_ limit: RateLimit) {
        self.limit = limit
        intervalNs = Int64(limit.periodSeconds) * 1_000_000_000 / Int64(limit.limit)
        horizonNs = intervalNs * Int64(limit.burst)
    }

    package struct Decision: Sendable, Equatable {
        package var admitted: Bool
        /// Requests that would still be admitted right now.
        package var remaining: Int
        /// Until the next request can be admitted (zero when this one was).
        package var retryAfter: Duration
        /// Until the limit is whole again (every request of the burst available).
        package var reset: Duration

        /// A decision taken elsewhere (the shared store's script).
        package init(admitted: Bool, remaining: Int, retryAfter: Duration, reset: Duration) {
            self.admitted = admitted
            self.remaining = remaining
            self.retryAfter = retryAfter
            self.reset = reset
        }
    }

    /// Decides one request of `cost` at `now` and advances `tat` when it is admitted (nil: never seen,
    /// the same as a whole limit). A refused request changes nothing, so a client that keeps knocking
    /// does not push its own next slot further away.
    package func decide(tat: inout ContinuousClock.Instant?, now: ContinuousClock.Instant, cost: Int = 1) -> Decision {
        // How far the TAT is ahead of now. Under one limit it never runs more than a horizon ahead;
        // after a limit was changed (a looser one set on a key), debt owed under the old one is
        // capped at a full burst of the new.
        let ahead = tat.map { $0 > now ? Self.nanoseconds($0 - now) : 0 } ?? 0
        let base = min(ahead, horizonNs)
        let next = base + intervalNs * Int64(max(cost, 1))
        let allowedFrom = next - horizonNs
        if allowedFrom > 0 {
            return Decision(admitted: false, remaining: 0, retryAfter: .nanoseconds(allowedFrom), reset: .nanoseconds(base))
        }
        tat = now + .nanoseconds(next)
        return Decision(admitted: true, remaining: Int((horizonNs - next) / intervalNs), retryAfter: .zero, reset: .nanoseconds(next))
    }

    /// A duration in whole nanoseconds, saturating far beyond any limit's horizon (292 years).
    static func nanoseconds(_ d: Duration) -> Int64 {
        let c = d.components
        guard c.seconds < 9_000_000_000 else { return .max / 4 }
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }

    /// Whether a limited thing with this TAT is whole again at `now` (its state can be forgotten:
    /// a forgotten entry and a whole one decide alike).
    package static func isWhole(_ tat: ContinuousClock.Instant, at now: ContinuousClock.Instant) -> Bool { tat <= now }
}

/// GCRA state for many limited things (keys, identities, sources), in memory and bounded. An
/// entry costs its key plus one 16-byte instant. Entries whose limit is whole again carry no
/// information and are dropped first; past `capacity` with every entry busy, the ones closest to
/// whole are dropped (they may then get up to one burst early: the bound on memory wins).
package final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private let state: Mutex<[Key: ContinuousClock.Instant]>
    package let capacity: Int

    package init(capacity: Int = 100_000) {
        self.capacity = max(capacity, 1)
        state = Mutex([:])
    }

    package func decide(_ key: Key, limit: GCRA, now: ContinuousClock.Instant, cost: Int = 1) -> GCRA.Decision {
        state.withLock { table in
            var tat = table[key]
            let d = limit.decide(tat: &tat, now: now, cost: cost)
            if d.admitted {
                if table[key] == nil, table.count >= capacity { Self.shrink(&table, now: now, capacity: capacity) }
                table[key] = tat
            }
            return d
        }
    }

    /// Decides several buckets at once, all or nothing (`LimitVerdict`), under one lock: a request
    /// refused by its identity's limit does not spend its key's.
    package func decide(_ charges: [LimitCharge], now: ContinuousClock.Instant, cost: Int = 1) -> LimitVerdict where Key == BucketID {
        state.withLock { table in
            var tats = charges.map { table[$0.id] }
            var decisions: [GCRA.Decision] = []
            decisions.reserveCapacity(charges.count)
            for i in charges.indices {
                decisions.append(GCRA(charges[i].limit).decide(tat: &tats[i], now: now, cost: cost))
            }
            let verdict = LimitVerdict.reduce(charges, decisions)
            guard verdict.admitted else { return verdict }
            for i in charges.indices where !charges[i].peek {
                if table[charges[i].id] == nil, table.count >= capacity { Self.shrink(&table, now: now, capacity: capacity) }
                table[charges[i].id] = tats[i]
            }
            return verdict
        }
    }

    package var count: Int { state.withLock { $0.count } }

    /// Drops every whole entry; if that frees nothing below `capacity`, the half closest to whole.
    private static func shrink(_ table: inout [Key: ContinuousClock.Instant], now: ContinuousClock.Instant, capacity: Int) {
        table = table.filter { !GCRA.isWhole($0.value, at: now) }
        guard table.count >= capacity else { return }
        let keep = table.sorted { $0.value > $1.value }.prefix(capacity / 2)
        table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
