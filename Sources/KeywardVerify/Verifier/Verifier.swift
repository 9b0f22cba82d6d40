import Foundation
import KeywardCore
import KeywardStore
import Metrics

/// Verifier configuration. Default: accept both `kw_live_` and `kw_test_` keys; a node set
/// to `[.live]` answers `environment_mismatch` for test keys.
package struct VerifierConfiguration: Sendable {
    package var acceptedEnvironments: Set<KeyEnvironment>
    /// Scopes a quarantined key may still use; empty: it answers `quarantined` for everything.
    package var quarantineScopes: Set<Scope>
    /// How stale the index may be before verify stops vouching (case 52 of docs/security-cases.md). Beyond it
    /// every key check — verify and the management bearer check — answers 503
    /// `server:unavailable` with `Retry-After`, never `valid:true`, and `/readyz` answers 503.
    /// 503 rather than `valid:false`: the node does not know the answer, a gateway must not
    /// cache a "not valid" as truth, and a client should retry on another node.
    /// Default 2 s: changes normally reach every node within 100 ms (p99, DESIGN.md) and a
    /// heartbeat proves freshness every 250 ms, so 2 s (eight missed heartbeats, twenty times the
    /// propagation target) is never reached by a healthy node on a loaded 2-core machine, yet
    /// bounds how long a node cut off from the change feed vouches for a key revoked elsewhere.
    /// Only a PostgreSQL cluster can be stale; the in-process feed (SQLite) is always fresh.
    package var maxStaleness: Duration
    package init(acceptedEnvironments: Set<KeyEnvironment> = [.live, .test], quarantineScopes: Set<Scope> = [],
                 maxStaleness: Duration = .seconds(2)) {
        self.acceptedEnvironments = acceptedEnvironments
        self.quarantineScopes = quarantineScopes
        self.maxStaleness = maxStaleness
    }
}

/// The hot path: freshness of the index, shape and checksum (no lookup), then the in-memory
/// index. Records usage in memory (flushed in batches) and counts outcomes for `/metrics`.
package final class Verifier: Sendable {
    package let index: KeyIndex
    package let usage: UsageRecorder
    /// How fresh the index is (the store's change feed); checked on every call.
    package let freshness: FeedFreshness
    package let config: VerifierConfiguration
    private let maxStalenessNanos: Int64
    package let clock: WallClock
    private let outcomeCounters: [String: Counter]
    private let refusedStale: Counter
    private let latency: Metrics.Timer

    /// `freshness`: the store's (`store.feed.freshness`) for an index the store feeds; the
    /// default (always fresh) is only for an index with no store behind it (benchmarks).
    package init(index: KeyIndex, usage: UsageRecorder, freshness: FeedFreshness = FeedFreshness(), config: VerifierConfiguration, clock: WallClock,
                 metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.index = index
        self.usage = usage
        self.freshness = freshness
        self.config = config
        self.maxStalenessNanos = FeedFreshness.nanoseconds(config.maxStaleness)
        self.clock = clock
        refusedStale = Counter(label: "keyward_verify_refused_total", dimensions: [("reason", "stale")], factory: metrics)
        var counters: [String: Counter] = ["valid": Counter(label: "keyward_verify_total", dimensions: [("outcome", "valid")], factory: metrics)]
        for r in VerifyReason.allCases {
            counters[r.rawValue] = Counter(label: "keyward_verify_total", dimensions: [("outcome", r.rawValue)], factory: metrics)
        }
        outcomeCounters = counters
        latency = Metrics.Timer(label: "keyward_verify_duration_seconds", dimensions: [], factory: metrics)
    }

    /// Verifies `presented` for `required` scopes. `recordUsage: false` is for Keyward's own
    /// management bearer checks, which are not key telemetry. Throws `unavailable` (503) when
    /// the index is staler than `maxStaleness`: no answer rather than a possibly stale one.
    package func verify(_ presented: String, required: [Scope] = [], source: VerifySource? = nil, recordUsage: Bool = true) throws -> VerifyOutcome {
        guard isVouching else {
            refusedStale.increment()
            throw Self.stale
        }
        let start = ContinuousClock.now
        let outcome = decide(presented, required: required)
        if recordUsage { record(outcome, required: required, source: source, since: start) }
        return outcome
    }

    /// Counts an outcome and records its key's usage: what `verify` does unless told not to, for a
    /// caller that first applies rate limits (the outcome recorded is the one answered).
    package func record(_ outcome: VerifyOutcome, required: [Scope], source: VerifySource?, since start: ContinuousClock.Instant) {
        outcomeCounters[outcome.reason?.rawValue ?? "valid"]?.increment()
        if let id = outcome.keyID {
            usage.record(id, outcome: outcome.reason?.rawValue ?? "valid", at: clock.now(), source: source, scopes: required, version: outcome.version)
        }
        let d = ContinuousClock.now - start
        latency.recordNanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }

    private func decide(_ presented: String, required: [Scope]) -> VerifyOutcome {
        // case 54/55 of docs/security-cases.md: shape and CRC decided with no lookup and no normalisation.
        guard case .wellFormed(let env) = APIKeyFormat.parse(presented) else { return .invalid(.malformed) }
        guard config.acceptedEnvironments.contains(env) else { return .invalid(.environmentMismatch) }
        return decide(digest: SecretDigest(hashing: presented.utf8), required: required)
    }

    /// The index part of verify, for a key whose shape and environment were already checked
    /// (a bearer key a connection presented before). Records no usage, and counts no refusal:
    /// its caller (the verify fast path) hands a refused request to the router, which checks again.
    package func verify(knownDigest digest: SecretDigest, required: [Scope] = []) throws -> VerifyOutcome {
        guard isVouching else { throw Self.stale }
        return decide(digest: digest, required: required)
    }

    /// Whether the index is within `maxStaleness` (a clock read, one atomic load, a compare):
    /// what verify checks first and `/readyz` reports.
    @inline(__always)
    package var isVouching: Bool { freshness.isFresh(within: maxStalenessNanos) }

    /// Throws the 503 verify answers when the index is stale (for access tokens, whose
    /// revocations arrive through the same feed).
    package func requireVouching() throws {
        guard isVouching else {
            refusedStale.increment()
            throw Self.stale
        }
    }

    private static let stale = KeywardError(.unavailable, "this node's key index is stale (change feed lost); retry on another node",
                                            retryAfter: 1)

    private func decide(digest: SecretDigest, required: [Scope]) -> VerifyOutcome {
        guard let hit = index.lookup(digest) else { return .invalid(.notFound) }
        var held = hit.scopes
        switch KeyLifecycle.state(revoked: hit.revoked, quarantined: hit.quarantined, isCurrent: hit.isCurrent, expiresAt: hit.expiresAt,
                                  graceUntil: hit.graceUntil, at: clock.now()) {
        case .current, .grace: break
        case .revoked: return .invalid(.revoked, hit)
        case .rotated: return .invalid(.rotated, hit)
        case .expired: return .invalid(.expired, hit)
        case .quarantined:
            // Quarantine admits only the configured scopes, and only when the caller names them.
            held = held.filter { config.quarantineScopes.contains($0) }
            if held.isEmpty || required.isEmpty { return .invalid(.quarantined, hit) }
            for s in required where !held.contains(s) { return .invalid(.quarantined, hit) }
        }
        if !required.isEmpty {
            for s in required where !held.contains(s) { return .invalid(.insufficientScope, hit) }
        }
        var valid = VerifyOutcome(reason: nil, keyID: hit.keyID, version: hit.version, identityID: hit.identityID,
                                  scopes: held, expiresAt: hit.expiresAt)
        valid.limits(hit)
        return valid
    }
}
