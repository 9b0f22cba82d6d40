import Foundation
import KeywardCore
import Metrics

/// Verifier configuration. Default: accept both `kw_live_` and `kw_test_` keys; a node set
/// to `[.live]` answers `environment_mismatch` for test keys.
package struct VerifierConfiguration: Sendable {
    package var acceptedEnvironments: Set<KeyEnvironment>
    /// Scopes a quarantined key may still use; empty: it answers `quarantined` for everything.
    package var quarantineScopes: Set<Scope>
    package init(acceptedEnvironments: Set<KeyEnvironment> = [.live, .test], quarantineScopes: Set<Scope> = []) {
        self.acceptedEnvironments = acceptedEnvironments
        self.quarantineScopes = quarantineScopes
    }
}

/// The hot path: shape and checksum (no lookup), then the in-memory index. Records usage in
/// memory (flushed in batches) and counts outcomes for `/metrics`.
package final class Verifier: Sendable {
    package let index: KeyIndex
    package let usage: UsageRecorder
    private let config: VerifierConfiguration
    private let clock: WallClock
    private let outcomeCounters: [String: Counter]
    private let latency: Metrics.Timer

    package init(index: KeyIndex, usage: UsageRecorder, config: VerifierConfiguration, clock: WallClock, metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.index = index
        self.usage = usage
        self.config = config
        self.clock = clock
        var counters: [String: Counter] = ["valid": Counter(label: "keyward_verify_total", dimensions: [("outcome", "valid")], factory: metrics)]
        for r in VerifyReason.allCases {
            counters[r.rawValue] = Counter(label: "keyward_verify_total", dimensions: [("outcome", r.rawValue)], factory: metrics)
        }
        outcomeCounters = counters
        latency = Metrics.Timer(label: "keyward_verify_duration_seconds", dimensions: [], factory: metrics)
    }

    /// Verifies `presented` for `required` scopes. `recordUsage: false` is for Keyward's own
    /// management bearer checks, which are not key telemetry.
    package func verify(_ presented: String, required: [Scope] = [], source: VerifySource? = nil, recordUsage: Bool = true) -> VerifyOutcome {
        let start = ContinuousClock.now
        let outcome = decide(presented, required: required)
        if recordUsage {
            outcomeCounters[outcome.reason?.rawValue ?? "valid"]?.increment()
            if let id = outcome.keyID {
                usage.record(id, outcome: outcome.reason?.rawValue ?? "valid", at: clock.now(), source: source, scopes: required)
            }
            let d = ContinuousClock.now - start
            latency.recordNanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
        }
        return outcome
    }

    private func decide(_ presented: String, required: [Scope]) -> VerifyOutcome {
        // SECURITY-CASES 54/55: shape and CRC decided with no lookup and no normalisation.
        guard case .wellFormed(let env) = APIKeyFormat.parse(presented) else { return .invalid(.malformed) }
        guard config.acceptedEnvironments.contains(env) else { return .invalid(.environmentMismatch) }
        return decide(digest: SecretDigest(hashing: presented.utf8), required: required)
    }

    /// The index part of verify, for a key whose shape and environment were already checked
    /// (a bearer key a connection presented before). Records no usage.
    package func verify(knownDigest digest: SecretDigest, required: [Scope] = []) -> VerifyOutcome {
        decide(digest: digest, required: required)
    }

    private func decide(digest: SecretDigest, required: [Scope]) -> VerifyOutcome {
        guard let hit = index.lookup(digest) else { return .invalid(.notFound) }
        if hit.revoked { return .invalid(.revoked, hit) }
        let now = clock.now()
        // A superseded version is valid until its grace window closes.
        if !hit.isCurrent, (hit.graceUntil ?? .distantPast) <= now { return .invalid(.rotated, hit) }
        if let exp = hit.expiresAt, exp <= now { return .invalid(.expired, hit) }
        var held = hit.scopes
        if hit.quarantined {
            // Quarantine admits only the configured scopes, and only when the caller names them.
            held = held.filter { config.quarantineScopes.contains($0) }
            if held.isEmpty || required.isEmpty { return .invalid(.quarantined, hit) }
            for s in required where !held.contains(s) { return .invalid(.quarantined, hit) }
        }
        if !required.isEmpty {
            for s in required where !held.contains(s) { return .invalid(.insufficientScope, hit) }
        }
        return VerifyOutcome(reason: nil, keyID: hit.keyID, version: hit.version, identityID: hit.identityID,
                             scopes: held, expiresAt: hit.expiresAt)
    }
}
