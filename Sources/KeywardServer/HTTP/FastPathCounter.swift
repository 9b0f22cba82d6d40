import Synchronization

/// How many requests `VerifyFastPath` and `TokenFastPath` answered themselves, on every connection of this server:
/// what shows a test (or a benchmark) which path served a verify. One relaxed atomic add per
/// answer.
package final class FastPathCounter: Sendable {
    private let served = Atomic<Int>(0)

    package init() {}

    /// Requests the fast path has answered since the server started.
    package var count: Int { served.load(ordering: .relaxed) }

    func increment() { served.add(1, ordering: .relaxed) }
}
