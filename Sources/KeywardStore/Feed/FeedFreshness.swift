import Glibc
import Synchronization

/// How fresh this node's view of the store is: the instant (monotonic) up to which every
/// committed change is known to have reached the local `ChangeFeed`.
///
/// The in-process feed (SQLite, one node) is always fresh: a write publishes before it returns.
/// Between nodes on PostgreSQL, `ClusterListener` moves the mark forward with a heartbeat: it
/// NOTIFYs a ping naming itself and the send time on the change channel, and when the ping comes
/// back on its LISTEN connection every notice committed before the send has been delivered and
/// applied before it (PostgreSQL delivers notifications of different transactions in commit
/// order, and the listener handles them one at a time), so the node is fresh as of the send time.
/// A lost connection stops the pings; after a reconnect the mark moves only once every key has
/// been reloaded. Readers compare the mark with a bound of their own (`isFresh(within:)`).
/// Times are `CLOCK_MONOTONIC_COARSE` nanoseconds: never set back, and read from the vDSO in
/// about 6 ns (the precise clock takes about 26): its resolution, one kernel tick (1 to 4 ms),
/// is far below any staleness bound (at least 1 s).
package final class FeedFreshness: Sendable {
    /// Never fresh (a cluster node before its first echoed ping).
    private static let never = Int64.min
    /// Always fresh (the in-process feed).
    private static let always = Int64.max

    /// Monotonic nanoseconds as of which the index is complete; `never` or `always`.
    private let freshAsOf = Atomic<Int64>(FeedFreshness.always)
    private let connectedFlag = Atomic<Bool>(true)
    private let reconnectCount = Atomic<Int>(0)
    private let listenName = Mutex<String?>(nil)

    /// Always fresh until `enterCluster` (the in-process feed, or a bench with no store).
    package init() {}

    /// The hot-path check: a clock read, one atomic load and a compare. True when every change
    /// committed more than `bound` nanoseconds ago has reached the index.
    @inline(__always)
    package func isFresh(within bound: Int64) -> Bool {
        freshAsOf.load(ordering: .acquiring) >= Self.now() &- bound
    }

    /// How stale the index is now; nil when it was never fresh (zero for the in-process feed).
    package func staleness() -> Duration? {
        let asOf = freshAsOf.load(ordering: .acquiring)
        if asOf == Self.always { return .zero }
        if asOf == Self.never { return nil }
        return .nanoseconds(max(0, Self.now() &- asOf))
    }

    /// Whether the node holds a live change-feed connection (always for the in-process feed).
    package var connected: Bool { connectedFlag.load(ordering: .relaxed) }
    /// Lost change-feed connections that were re-established (each followed by a full reload).
    package var reconnects: Int { reconnectCount.load(ordering: .relaxed) }
    /// The PostgreSQL `application_name` of the LISTEN connection (nil for the in-process
    /// feed), so an operator finds it in `pg_stat_activity`.
    package var listenApplicationName: String? { listenName.withLock { $0 } }

    // MARK: - Written by the cluster listener

    /// Switches to cluster mode: not fresh until the first ping comes back.
    func enterCluster(applicationName: String) {
        listenName.withLock { $0 = applicationName }
        connectedFlag.store(false, ordering: .relaxed)
        freshAsOf.store(Self.never, ordering: .releasing)
    }

    func setConnected(_ up: Bool) { connectedFlag.store(up, ordering: .relaxed) }

    func noteReconnect() { reconnectCount.add(1, ordering: .relaxed) }

    /// A ping sent at `sentAt` (as from `now()`) came back: fresh as of then. Never moves back.
    func markFresh(asOf sentAt: Int64) {
        var current = freshAsOf.load(ordering: .relaxed)
        while current < sentAt {
            let (exchanged, original) = freshAsOf.compareExchange(expected: current, desired: sentAt, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }

    /// The current mark (`Int64.min` before the first echoed ping).
    var asOf: Int64 { freshAsOf.load(ordering: .acquiring) }

    /// Monotonic nanoseconds: what a ping carries and the mark holds.
    @inline(__always)
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    /// A duration in nanoseconds (saturating), as `isFresh(within:)` takes a bound.
    package static func nanoseconds(_ d: Duration) -> Int64 {
        let c = d.components
        let (s, o) = c.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return o ? (c.seconds < 0 ? .min : .max) : s.addingReportingOverflow(c.attoseconds / 1_000_000_000).partialValue
    }
}
