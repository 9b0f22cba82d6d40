import Foundation

/// A progress line on standard error while a scan runs, only when standard error is a terminal:
/// files, bytes, findings so far and the rate, redrawn in place at most four times a second on a
/// thread of its own (the scan's workers never write to the terminal), cleared at the end.
package final class ScanProgress: @unchecked Sendable {
    // @unchecked: `stopped` is guarded by `condition`.
    private let condition = NSCondition()
    private var stopped = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    /// The line for a snapshot: pure, so it is tested without a terminal.
    package static func line(files: Int, bytes: Int, findings: Int, seconds: Double) -> String {
        let mb = Double(bytes) / 1e6
        let rate = seconds > 0 ? mb / seconds : 0
        return String(format: "scanning: %d files, %.1f MB, %d findings (%.0f MB/s)", files, mb, findings, rate)
    }

    /// Starts redrawing when `fd` is a terminal; otherwise does nothing.
    package init(fd: Int32 = 2, interval: Double = 0.25, snapshot: @escaping @Sendable () -> (stats: ScanStats, findings: Int)) {
        guard isatty(fd) == 1 else { return }
        let started = Date()
        let t = Thread { [self] in
            defer { done.signal() }
            var width = 0
            while true {
                condition.lock()
                if !stopped { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
                let stop = stopped
                condition.unlock()
                if stop { break }
                let (stats, findings) = snapshot()
                let text = Self.line(files: stats.files, bytes: stats.bytes, findings: findings, seconds: Date().timeIntervalSince(started))
                width = max(width, text.count)
                Self.write(fd, "\r" + text.padding(toLength: width, withPad: " ", startingAt: 0))
            }
            if width > 0 { Self.write(fd, "\r" + String(repeating: " ", count: width) + "\r") }
        }
        thread = t
        t.start()
    }

    /// Stops redrawing and clears the line; returns once the line is gone.
    package func stop() {
        guard thread != nil else { return }
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
        done.wait()
        thread = nil
    }

    private static func write(_ fd: Int32, _ s: String) {
        _ = Array(s.utf8).withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    }
}
