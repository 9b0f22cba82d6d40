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
    /// was pending or the write failed: then the batch is kept for the next flush).
    @discardableResult
    package func flush() async -> Int {
        await gate.run {
            let batch = recorder.take()
            guard !batch.isEmpty else { return 0 }
            do {
                try await store.flushUsage(batch)
                return batch.keys.count
            } catch {
                recorder.restore(batch)
                logger.warning("usage flush failed; will retry", metadata: ["error": "\(type(of: error))"])
                return 0
            }
        }
    }
}
