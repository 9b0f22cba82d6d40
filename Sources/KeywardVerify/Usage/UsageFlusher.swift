import KeywardCore
import KeywardStore
import Logging
import ServiceLifecycle

/// Writes accumulated verify usage every `interval`, and once more on shutdown. The timer
/// calls `flush()`, which anyone else (a test, `KeywardRuntime`) may call and await too.
package struct UsageFlusher: Service {
    let recorder: UsageRecorder
    let store: Store
    let interval: Duration
    let logger: Logger
    /// One flush at a time (shared by copies): a `flush()` that returns has written everything
    /// recorded before it was called, even when the timer's flush had already taken part of it.
    private let gate = SerialGate()

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
            await flush()
        }
        await flush()
    }

    /// Writes the usage recorded so far; returns how many keys' usage it wrote (0 when nothing
    /// was pending; when a write fails, what it did not write is kept for the next flush).
    @discardableResult
    package func flush() async -> Int {
        // On the background thread: at 100,000 keys a flush is tens of milliseconds of work, which
        // must not take its slices from an event loop on the same CPU.
        await BackgroundExecutor.shared.run { await write() }
    }

    /// One shard at a time, each in its own transaction: a shard is taken only when it is about to
    /// be written, so a failed write puts back that shard and leaves the rest where they were.
    private func write() async -> Int {
        await gate.run {
            var written = 0
            for shard in 0..<recorder.shardCount {
                let batch = recorder.take(shard: shard)
                guard !batch.isEmpty else { continue }
                do {
                    try await store.flushUsage(batch)
                    written += batch.keys.count
                } catch {
                    recorder.restore(batch)
                    logger.warning("usage flush failed; will retry", metadata: ["error": "\(type(of: error))"])
                    return written
                }
                await Task.yield()
            }
            return written
        }
    }
}
