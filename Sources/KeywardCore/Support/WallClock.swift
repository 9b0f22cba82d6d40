import Foundation

/// Injected wall clock. Production uses `.system`; tests use a manual clock they advance.
package struct WallClock: Sendable {
    private let read: @Sendable () -> Date
    package init(_ read: @escaping @Sendable () -> Date) { self.read = read }
    package func now() -> Date { read() }
    package static let system = WallClock { Date() }
}

extension Date {
    /// Milliseconds since the Unix epoch: the store's and the index's unit of time.
    package var unixMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
    package init(unixMillis: Int64) { self.init(timeIntervalSince1970: Double(unixMillis) / 1000) }
}
