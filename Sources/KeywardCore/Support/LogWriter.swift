import Foundation

/// Writes log lines on a thread of its own, so a request that logs never waits for a write to
/// stderr: lines are queued (bounded) and written in batches, one `write(2)` per batch. When the
/// queue is full a line is dropped and counted, and the next batch says how many were lost — a
/// slow terminal or a full pipe costs log lines, never requests.
// Not swift-log's StreamLogHandler stream alone: it writes and flushes each line under a lock on the caller's thread.
package final class LogWriter: @unchecked Sendable {
    // Every stored property below is guarded by `condition`.
    private let condition = NSCondition()
    private var lines: [String] = []
    private var dropped = 0
    private var writing = false
    private var droppedSoFar = 0
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
        guard lines.count < capacity else {
            dropped += 1
            droppedSoFar += 1
            return
        }
        lines.append(line)
        if lines.count == 1 { condition.broadcast() }
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
        while !lines.isEmpty || dropped > 0 || writing { condition.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while lines.isEmpty && dropped == 0 { condition.wait() }
            var text = lines.joined()
            lines.removeAll(keepingCapacity: true)
            if dropped > 0 { text += "keyward: \(dropped) log line\(dropped == 1 ? "" : "s") dropped: the log writer fell behind\n" }
            dropped = 0
            writing = true
            condition.unlock()
            writeAll(text)
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }

    private func writeAll(_ text: String) {
        var bytes = Array(text.utf8)[...]
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

/// A `TextOutputStream` for swift-log's `StreamLogHandler`: the handler formats each line as it
/// always does, on the caller's thread; the line is then queued to a `LogWriter`.
package struct QueuedLogStream: TextOutputStream, Sendable {
    package let writer: LogWriter
    package init(writer: LogWriter) { self.writer = writer }
    package mutating func write(_ string: String) { writer.enqueue(string) }
}
