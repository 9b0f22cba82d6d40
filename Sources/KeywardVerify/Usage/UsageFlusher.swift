import KeywardStore
import Logging
import ServiceLifecycle

/// Writes accumulated verify usage every `interval`, and once more on shutdown.
package struct UsageFlusher: Service {
    let recorder: UsageRecorder
    let store: Store
    let interval: Duration
    let logger: Logger

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

    package func flush() async {
        let batch = recorder.take()
        guard !batch.isEmpty else { return }
        do {
            try await store.flushUsage(batch)
        } catch {
            recorder.restore(batch)
            logger.warning("usage flush failed; will retry", metadata: ["error": "\(type(of: error))"])
        }
    }
}
