import KeywardCore
import KeywardStore
import Logging
import ServiceLifecycle
import Synchronization

/// Writes accumulated verify usage every `interval` (paced, below), and once more on shutdown.
/// Anyone else (a test, `KeywardRuntime`) may call `flush()` and await it.
package struct UsageFlusher: Service {
    let recorder: UsageRecorder
    let store: Store
    let interval: Duration
    let logger: Logger
    /// One flush at a time (shared by copies): a `flush()` that returns has written everything
    /// recorded before it was called, even when the timer's flush had already taken part of it.
    private let gate = SerialGate()
    /// Unpaced flushes waiting for the gate: a paced flush in progress stops resting for them.
    private let waiting = WaitingFlushes()

    package init(recorder: UsageRecorder, store: Store, interval: Duration = .seconds(1), logger: Logger) {
        self.recorder = recorder
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The wait ends early on graceful shutdown, so a long interval never delays it.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await flush(paced: true)
        }
        await flush()
    }

    /// Writes the usage recorded so far, in one transaction; returns how many keys' usage it wrote
    /// (0 when nothing was pending or the write failed: then the batch is kept for the next flush).
    @discardableResult
    package func flush() async -> Int {
        waiting.count.add(1, ordering: .relaxed)
        defer { waiting.count.subtract(1, ordering: .relaxed) }
        return await flush(paced: false)
    }

    /// Keys per transaction when paced: 4 (about half a millisecond of work here), or more when
    /// a batch is so large that it would otherwise take over 256 transactions.
    package static func pacedChunk(for count: Int) -> Int { max(4, (count + 255) / 256) }

    /// How long a paced flush rests after a chunk that took `spent`: four times as long (the flush
    /// takes at most a fifth of a CPU), between 2 and 100 ms.
    package static func rest(after spent: Duration) -> Duration {
        min(max(spent * 4, .milliseconds(2)), .milliseconds(100))
    }

    /// Paced (the timer's flush): a few keys per transaction with a rest after each, so that a
    /// flush of thousands of keys never holds the CPU that verify's event loop runs on for long.
    /// Unpaced, the flush's statements hand off between a pool thread and SQLite's thread, and the
    /// scheduler let that relay run for up to 6.7 ms while the event loop, preempted, held every
    /// in-flight verify, which showed in verify's p99. Paced, the longest such
    /// stall measured 1.5 ms. Unpaced (`flush()`, and at shutdown): one transaction; while one
    /// waits, a paced flush in progress writes its remaining chunks without resting.
    /// Returns how many keys' usage it wrote; on a failed write, that chunk and the rest are kept.
    package func flush(paced: Bool) async -> Int {
        await gate.run {
            let taken = recorder.takePending()
            let size = paced ? Self.pacedChunk(for: taken.count) : max(taken.count, 1)
            var written = 0
            for start in stride(from: 0, to: taken.count, by: size) {
                let end = min(start + size, taken.count)
                let began = ContinuousClock.now
                let batch = recorder.batch(taken, start..<end)
                do {
                    try await store.flushUsage(batch)
                    written += end - start
                } catch {
                    recorder.restore(batch)
                    recorder.restore(recorder.batch(taken, end..<taken.count))
                    logger.warning("usage flush failed; will retry", metadata: ["error": "\(type(of: error))"])
                    return written
                }
                if paced, end < taken.count, !Task.isShuttingDownGracefully, waiting.count.load(ordering: .relaxed) == 0 {
                    try? await Task.sleep(for: Self.rest(after: ContinuousClock.now - began))
                }
            }
            return written
        }
    }
}

private final class WaitingFlushes: Sendable {
    let count = Atomic<Int>(0)
}
