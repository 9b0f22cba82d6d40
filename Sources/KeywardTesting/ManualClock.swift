import Foundation
import KeywardCore
import Synchronization

/// A wall clock tests move by hand; never sleeps.
package final class ManualClock: Sendable {
    private let current: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = Mutex(start) }

    package var now: Date { current.withLock { $0 } }
    package func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    package var wallClock: WallClock { WallClock { [self] in self.now } }
}
