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
    /// Evidence quotes what callers reported (addresses, user agents, paths, scopes): free text in
    /// which this finds a credential (it returns the rule) is recorded as `[redacted: <rule>]`, so
    /// no audit record, webhook or answer carries one. The server passes the scanner's rules.
    private let redact: @Sendable (String) -> String?
    /// This node's usage flush, awaited after a detection opened or joined an incident and before
    /// its hunt is computed again (`Governance.completeHunts`), so the hunt counts the calls still in
    /// the usage recorder when the key was quarantined.
    private let flushUsage: @Sendable () async -> Void

    package init(engine: DetectionEngine, governance: Governance, clock: WallClock, logger: Logger,
                 redact: @escaping @Sendable (String) -> String? = { _ in nil }, flushUsage: @escaping @Sendable () async -> Void = {}) {
        self.flushUsage = flushUsage
        self.engine = engine
        self.governance = governance
        self.clock = clock
        self.logger = logger
        self.redact = redact
    }

    /// `f` with every quoted value checked (`redact`).
    func cleaned(_ f: Finding) -> Finding {
        func clean(_ v: String) -> String { redact(v).map { "[redacted: \($0)]" } ?? v }
        var f = f
        f.source = f.source.map(clean)
        f.evidence.sources = f.evidence.sources.map(clean)
        f.evidence.items = f.evidence.items.map(clean)
        f.evidence.summary = clean(f.evidence.summary)
        return f
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

    /// Records every queued finding; returns how many were recorded. Containment comes first: the
    /// hunts of the incidents it touched are completed after the recording, inside the gate, so a
    /// concurrent `record()` that returns has seen them completed too.
    @discardableResult
    package func record() async -> Int {
        await gate.run {
            let found = engine.take()
            var done = 0
            var incidents: Set<IncidentID> = []
            for (i, raw) in found.enumerated() {
                let f = cleaned(raw)
                let action = engine.policy.action(f.detector, f.environment)
                let blockedUntil = action == .block ? f.at.addingTimeInterval(TimeInterval(engine.policy.blockSeconds)) : nil
                do {
                    let record = try await governance.recordDetection(f, subject: DetectionSubject(keyID: f.keyID, clientID: f.clientID),
                                                                      action: action, blockedUntil: blockedUntil)
                    if let incident = record.incidentID { incidents.insert(incident) }
                    done += 1
                } catch {
                    logger.warning("recording a detection failed; will retry", metadata: ["detector": "\(f.detector.rawValue)", "error": "\(type(of: error))"])
                    engine.restore(Array(found[i...]))
                    break
                }
            }
            await governance.completeHunts(incidents, flushUsage: flushUsage)
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
