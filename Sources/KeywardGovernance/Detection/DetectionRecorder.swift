import Foundation
import KeywardCore
import KeywardStore
import KeywardVerify
import Logging
import ServiceLifecycle

/// Records what the detection engine found (Governance: the detection, the policy's quarantine
/// and incident, the audit record and the webhook), off the request path; and sweeps the
/// engine's idle state once a minute. `record()` may be called and awaited by anyone (a test,
/// the runtime): when it returns, everything found before the call is recorded.
package struct DetectionRecorder: Service {
    package let engine: DetectionEngine
    let governance: Governance
    let clock: WallClock
    let logger: Logger
    private let gate = SerialGate()
    package init(engine: DetectionEngine, governance: Governance, clock: WallClock, logger: Logger) {
        self.engine = engine
        self.governance = governance
        self.clock = clock
        self.logger = logger
    }

    package func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in engine.wakeups { await record() }
            }
            group.addTask {
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
                    engine.sweep(now: clock.now().unixMillis)
                    await record()
                }
                engine.finish()
            }
        }
        await record()
    }

    /// Records every queued finding; returns how many were recorded.
    @discardableResult
    package func record() async -> Int {
        await gate.run {
            let found = engine.take()
            var done = 0
            for (i, f) in found.enumerated() {
                let action = engine.policy.action(f.detector, f.environment)
                let blockedUntil = action == .block ? f.at.addingTimeInterval(TimeInterval(engine.policy.blockSeconds)) : nil
                do {
                    try await governance.recordDetection(f, subject: DetectionSubject(keyID: f.keyID, clientID: f.clientID), action: action,
                                                         blockedUntil: blockedUntil)
                    done += 1
                } catch {
                    logger.warning("recording a detection failed; will retry", metadata: ["detector": "\(f.detector.rawValue)", "error": "\(type(of: error))"])
                    engine.restore(Array(found[i...]))
                    break
                }
            }
            return done
        }
    }

    /// Blocks still in force after a restart, from the store.
    package func restoreBlocks() async throws {
        for d in try await governance.store.activeBlocks(at: clock.now()) {
            if let ip = d.source, let until = d.blockedUntil { engine.block(ip, until: until.unixMillis) }
        }
    }
}
