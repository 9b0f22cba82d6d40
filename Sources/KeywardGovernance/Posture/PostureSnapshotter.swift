import Foundation
import KeywardCore
import Logging
import ServiceLifecycle

/// Computes the posture on a timer so every day has its snapshot (the trend), whether or not
/// anyone asked for the posture or scraped `/metrics` that day, and sends the `review.due`
/// reminders of recertification.
package struct PostureSnapshotter: Service {
    let governance: Governance
    let interval: Duration
    let logger: Logger

    package init(governance: Governance, interval: Duration = .seconds(3_600), logger: Logger) {
        self.governance = governance
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                _ = try await governance.posture()
                try await governance.remindReviews()
            } catch {
                logger.warning("posture snapshot or review reminders failed; will retry", metadata: ["error": "\(String(describing: error).prefix(200))"])
            }
        }
    }
}
