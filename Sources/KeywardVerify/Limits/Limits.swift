import Foundation
import KeywardCore
import Metrics
import Synchronization

/// Rate limits as identity controls: which buckets a request is charged to (`RateLimitPolicy`
/// plus an identity's or key's own limit), decided by this node's `RateLimiter` or, in a cluster,
/// by a `SharedLimitStore`. When the shared store cannot answer, `failOpen` decides: true (the
/// default) falls back to this node's limiter — each node then admits up to a limit of its own —
/// false refuses with 503 `server:unavailable`; either way it is counted in `/metrics` and logged.
package final class Limits: Sendable {
    package let policy: RateLimitPolicy
    package let shared: (any SharedLimitStore)?
    package let failOpen: Bool
    let local: RateLimiter<BucketID>
    private let refused: [String: Counter]
    private let storeErrors: Counter
    private let onStoreError: @Sendable (any Error) -> Void

    package init(policy: RateLimitPolicy = RateLimitPolicy(), shared: (any SharedLimitStore)? = nil, failOpen: Bool = true, capacity: Int = 200_000,
                 metrics: any MetricsFactory = NOOPMetricsHandler.instance, onStoreError: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.policy = policy
        self.shared = shared
        self.failOpen = failOpen
        self.onStoreError = onStoreError
        local = RateLimiter(capacity: capacity)
        var counters: [String: Counter] = [:]
        for name in ["key", "identity", "source", "failure", "routes"] {
            counters[name] = Counter(label: "keyward_ratelimit_refused_total", dimensions: [("limit", name)], factory: metrics)
        }
        refused = counters
        storeErrors = Counter(label: "keyward_ratelimit_store_errors_total",
                              dimensions: [("fallback", failOpen ? "local" : "refuse")], factory: metrics)
    }

    /// Whether an outcome's reason counts as a failed attempt with a credential — a guess, a revoked
    /// or expired key, a stolen token without its binding — charged to the failure bucket of its
    /// source and target rather than to the identity's limit. A valid credential asking for a scope
    /// it lacks, or presented to a node of the other environment, is a misconfiguration (and scope
    /// probing is for detection to see), not a guess: it is not counted, so a misconfigured service
    /// does not lock itself out.
    static func isFailure(_ reason: VerifyReason?) -> Bool {
        switch reason {
        case nil, .rateLimited, .dpopNonceRequired, .insufficientScope, .environmentMismatch: false
        default: true
        }
    }

    /// The buckets a verify outcome is charged to. A valid request: its key (or token's client), its
    /// identity, its reported source, and a peek at the failure bucket of that source and identity.
    /// A failed one: only its source's failure bucket for that identity (or for unknown keys) — and
    /// nothing at all without a reported source, so no one can spend a victim's limits by failing.
    package func charges(for o: VerifyOutcome, sourceIP: String?) -> [LimitCharge] {
        guard policy.enabled else { return [] }
        let ip = sourceIP.map(Self.sourceKey)
        let target = o.identityID?.raw ?? 0
        if Self.isFailure(o.reason) {
            guard let ip, let failure = policy.failure else { return [] }
            return [LimitCharge(BucketID(.failure, id: target, text: ip), failure)]
        }
        guard o.reason == nil else { return [] }
        var out: [LimitCharge] = []
        out.reserveCapacity(5)
        let env = o.environment ?? .live
        if let k = o.keyID, let limit = o.keyLimit ?? policy.key[env] {
            out.append(LimitCharge(BucketID(.key, id: k.raw, own: o.keyLimit), limit))
        } else if let c = o.clientID, let limit = policy.key[env] {
            out.append(LimitCharge(BucketID(.client, text: c.description), limit))
        }
        if let i = o.identityID, let limit = o.identityLimit ?? policy.identity[env] {
            out.append(LimitCharge(BucketID(.identity, id: i.raw, own: o.identityLimit), limit))
        }
        if let ip {
            if let s = policy.source { out.append(LimitCharge(BucketID(.source, text: ip), s)) }
            if let f = policy.failure {
                out.append(LimitCharge(BucketID(.failure, id: target, text: ip), f, peek: true))
                if target != 0 { out.append(LimitCharge(BucketID(.failure, text: ip), f, peek: true)) }
            }
        }
        return out
    }

    /// A reported source as a bucket name: at most 64 bytes of it (resource servers send addresses;
    /// anything longer is cut, not trusted to be unique).
    static func sourceKey(_ ip: String) -> String {
        ip.utf8.count <= 64 ? ip : String(decoding: ip.utf8.prefix(64), as: UTF8.self)
    }

    /// Decides on this node: nil when a shared store must decide (`decide(async)`).
    package func decideLocally(_ charges: [LimitCharge], now: ContinuousClock.Instant = .now) -> LimitVerdict? {
        guard shared == nil else { return nil }
        return local.decide(charges, now: now)
    }

    /// Decides with the shared store when there is one, by the failure policy when it cannot answer.
    package func decide(_ charges: [LimitCharge]) async throws -> LimitVerdict {
        guard let shared else { return local.decide(charges, now: .now) }
        do {
            return try await shared.decide(charges, cost: 1)
        } catch {
            storeErrors.increment()
            onStoreError(error)
            guard failOpen else {
                throw KeywardError(.unavailable, "the shared rate-limit store is unavailable; retry", retryAfter: 1)
            }
            return local.decide(charges, now: .now)
        }
    }

    /// The outcome answered after a verdict: unchanged with its `ratelimit` when admitted,
    /// `rate_limited` when refused (keeping who it was, so usage and detection see it).
    package func apply(_ verdict: LimitVerdict, to outcome: VerifyOutcome) -> VerifyOutcome {
        var o = outcome
        let state = RateLimitState(verdict)
        if verdict.admitted {
            if outcome.valid { o.ratelimit = state }
            return o
        }
        refused[state.name]?.increment()
        o.reason = .rateLimited
        o.scopes = nil
        o.ratelimit = state
        return o
    }

    /// Counts a refusal decided outside `apply` (Keyward's own routes).
    package func countRefusal(_ state: RateLimitState) { refused[state.name]?.increment() }

    /// Entries this node's limiter holds (for `bench memory` and the note's memory per tracked source).
    package var trackedBuckets: Int { local.count }
}
