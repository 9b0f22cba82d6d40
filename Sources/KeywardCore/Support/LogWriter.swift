import Foundation
import Logging
import Synchronization

/// Writes log lines on a thread of its own, so a request that logs never waits for a write to
/// stderr: lines are queued (bounded) and written in batches, one `write(2)` per batch. When the
/// queue is full a line is dropped and counted, and the next batch says how many were lost — a
/// slow terminal or a full pipe costs log lines, never requests.
// Not swift-log's StreamLogHandler stream alone: it writes and flushes each line under a lock on the caller's thread.
package final class LogWriter: @unchecked Sendable {
    // Every stored property below is guarded by `condition`.
    private let condition = NSCondition()
    /// The queued lines' bytes, appended as each line is queued (one copy, on the caller's thread),
    /// so the writer writes the buffer as it is instead of joining lines and copying them again.
    private var pending: [UInt8] = []
    /// Lines in `pending`.
    private var queued = 0
    private var dropped = 0
    private var writing = false
    private var droppedSoFar = 0
    /// A flush is waiting: write without lingering.
    private var urgent = 0
    private let fd: Int32
    package let capacity: Int

    package init(fd: Int32 = 2, capacity: Int = 16_384) {
        self.fd = fd
        self.capacity = max(capacity, 1)
        let thread = Thread { [self] in self.run() }
        thread.name = "keyward-log-writer"
        thread.start()
    }

    /// Queues one line (already formatted, newline included); drops it when the queue is full.
    package func enqueue(_ line: String) {
        condition.lock()
        defer { condition.unlock() }
        guard queued < capacity else {
            dropped += 1
            droppedSoFar += 1
            return
        }
        pending.append(contentsOf: line.utf8)
        queued += 1
        if queued == 1 { condition.broadcast() }
    }

    /// Lines dropped since the process started.
    package var droppedTotal: Int {
        condition.lock()
        defer { condition.unlock() }
        return droppedSoFar
    }

    /// Returns once every line queued before the call has been written (at exit, so nothing is lost).
    package func flush() {
        condition.lock()
        defer { condition.unlock() }
        urgent += 1
        condition.broadcast()
        while queued > 0 || dropped > 0 || writing { condition.wait() }
        urgent -= 1
    }

    /// How long the writer lets lines gather after the first of a batch: one wake-up and one
    /// write(2) per batch instead of per line (a line waits at most this long; a flush does not).
    static let linger = 0.005

    private func run() {
        var batch: [UInt8] = []
        while true {
            condition.lock()
            while queued == 0 && dropped == 0 { condition.wait() }
            if urgent == 0 { _ = condition.wait(until: Date(timeIntervalSinceNow: Self.linger)) }
            // Only the swap under the lock: a request that logs never waits for a write.
            swap(&batch, &pending)
            queued = 0
            let lost = dropped
            dropped = 0
            writing = true
            condition.unlock()
            if lost > 0 { batch.append(contentsOf: "keyward: \(lost) log line\(lost == 1 ? "" : "s") dropped: the log writer fell behind\n".utf8) }
            writeAll(batch)
            // Kept for the next swap unless one very long line made it large.
            batch.removeAll(keepingCapacity: batch.capacity <= 4 << 20)
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }

    private func writeAll(_ text: [UInt8]) {
        var bytes = text[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return // stderr is gone: nothing left to tell
            }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// swift-log's handler for `keyward serve`: the line format of its `StreamLogHandler`
/// (`<time> <level> <label>:<metadata> [<source>] <message>`), queued to a `LogWriter` instead of
/// written and flushed on the caller's thread, and the time formatted once a second instead of on
/// every line (glibc's `localtime` looks at /etc/localtime again on each call when TZ is unset).
package struct QueuedLogHandler: LogHandler {
    package let label: String
    let writer: LogWriter
    package var logLevel: Logger.Level = .info
    package var metadataProvider: Logger.MetadataProvider?
    private var prettyMetadata: String?
    package var metadata = Logger.Metadata() {
        didSet { prettyMetadata = Self.prettify(metadata) }
    }

    package init(label: String, writer: LogWriter) {
        self.label = label
        self.writer = writer
        metadataProvider = LoggingSystem.metadataProvider
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var pretty = prettyMetadata
        let provided = metadataProvider?.get() ?? [:]
        if !provided.isEmpty || !(event.metadata ?? [:]).isEmpty || event.error != nil {
            var m = metadata.merging(provided) { $1 }
            if let explicit = event.metadata { m.merge(explicit) { $1 } }
            if let error = event.error {
                m["error.message"] = "\(error)"
                m["error.type"] = "\(String(reflecting: type(of: error)))"
            }
            pretty = Self.prettify(m)
        }
        writer.enqueue("\(Self.prefix(level: event.level, label: label))\(pretty.map { " \($0)" } ?? "") [\(event.source)] \(event.message)\n")
    }

    /// A line's start, up to the colon after the label: `<time> <level> <label>:`.
    static func prefix(level: Logger.Level, label: String) -> String {
        "\(LogTimestamp.shared.now()) \(level)\(label.isEmpty ? "" : " ")\(label):"
    }

    private static func prettify(_ metadata: Logger.Metadata) -> String? {
        metadata.isEmpty ? nil : metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

/// The local time as `%Y-%m-%dT%H:%M:%S%z`, formatted at most once per second.
final class LogTimestamp: Sendable {
    static let shared = LogTimestamp()
    private let cache = Mutex((second: -1, text: ""))

    func now() -> String {
        let t = time(nil)
        return cache.withLock { c in
            if c.second == t { return c.text }
            var seconds = t
            var parts = tm()
            localtime_r(&seconds, &parts)
            var buffer = [Int8](repeating: 0, count: 64)
            strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
            c = (t, String(cString: buffer))
            return c.text
        }
    }
}
