import Foundation
import Synchronization

/// Per-reporter intake quota for `POST /v1/exposures`: items and bytes over a rolling hour,
/// each a GCRA bucket (Generic Cell Rate Algorithm: one "theoretical arrival time" per bucket,
/// so O(1) state) on the monotonic clock, so stepping the wall clock grants or takes nothing.
/// A report key that floods the intake (every unmatched digest is stored for posture) is
/// answered 429 with Retry-After before anything is written. Per node: N nodes admit N times.
/// Written here until issue 14's limiter exists; no library in the package set fits.
package final class ReporterQuota: Sendable {
    package struct Limits: Sendable, Equatable {
        /// Items a reporter may send per hour, and how many at once.
        package var itemsPerHour: Int
        package var itemBurst: Int
        /// Request-body bytes a reporter may send per hour, and at once.
        package var bytesPerHour: Int
        package var byteBurst: Int
        package init(itemsPerHour: Int, itemBurst: Int, bytesPerHour: Int, byteBurst: Int) {
            self.itemsPerHour = itemsPerHour
            self.itemBurst = itemBurst
            self.bytesPerHour = bytesPerHour
            self.byteBurst = byteBurst
        }
        /// 20,000 items and 64 MiB an hour, 5,000 items and 8 MiB at once: a first scan of a
        /// large monorepo fits; a loop of maximal calls is stopped within seconds.
        package static let `default` = Limits(itemsPerHour: 20_000, itemBurst: 5_000, bytesPerHour: 64 << 20, byteBurst: 8 << 20)
    }

    private struct Bucket { var itemsTAT: ContinuousClock.Instant; var bytesTAT: ContinuousClock.Instant; var lastSeen: ContinuousClock.Instant }
    private let limits: Limits
    private let state = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    package init(limits: Limits) { self.limits = limits }

    /// Admits `items` and `bytes` for `reporter` (charged only when both fit), or returns the
    /// seconds until they would.
    package func admit(reporter: String, items: Int, bytes: Int) -> Int? {
        let now = clock.now
        let itemInterval = Duration.seconds(3600) / max(1, limits.itemsPerHour)
        let byteInterval = Duration.seconds(3600) / max(1, limits.bytesPerHour)
        let itemTolerance = itemInterval * limits.itemBurst
        let byteTolerance = byteInterval * limits.byteBurst
        return state.withLock { buckets -> Int? in
            if buckets.count > 10_000 { buckets = buckets.filter { now - $0.value.lastSeen < .seconds(3600) } }
            var b = buckets[reporter] ?? Bucket(itemsTAT: now, bytesTAT: now, lastSeen: now)
            let itemsTAT = max(b.itemsTAT, now) + itemInterval * items
            let bytesTAT = max(b.bytesTAT, now) + byteInterval * bytes
            let itemsOver = itemsTAT - (now + itemTolerance)
            let bytesOver = bytesTAT - (now + byteTolerance)
            let over = max(itemsOver, bytesOver)
            guard over <= .zero else {
                // A request larger than a whole burst can never fit: say so with the hour.
                return Int(min(3600, max(1, over.components.seconds + 1)))
            }
            b.itemsTAT = itemsTAT
            b.bytesTAT = bytesTAT
            b.lastSeen = now
            buckets[reporter] = b
            return nil
        }
    }
}
