import Foundation

/// One bucket a request is charged to: its name (`k:<key id>`, `i:<identity id>`, `s:<address>`,
/// `f:<address>|<target>`, `r:<principal>`; the same string names the bucket in a shared store) and
/// the limit that applies to it.
package struct LimitCharge: Sendable, Equatable {
    package var bucket: String
    package var limit: RateLimit
    /// A bucket that must admit the request but is not charged by it: a failure bucket consulted by
    /// a request that succeeds (an exhausted one refuses every request from its source to its target).
    package var peek: Bool
    package init(_ bucket: String, _ limit: RateLimit, peek: Bool = false) {
        self.bucket = bucket
        self.limit = limit
        self.peek = peek
    }
}

/// What a set of charges decided, all or nothing: admitted only when every bucket admits, and then
/// every bucket is charged; a refusal charges none. `binding` is the bucket the answer reports:
/// when admitted, the one with the fewest requests left; when refused, the refusing one that frees
/// up last (its `retryAfter` is when the request could pass).
package struct LimitVerdict: Sendable, Equatable {
    package var admitted: Bool
    package var binding: LimitCharge
    package var decision: GCRA.Decision

    package init(admitted: Bool, binding: LimitCharge, decision: GCRA.Decision) {
        self.admitted = admitted
        self.binding = binding
        self.decision = decision
    }

    /// The verdict of per-bucket decisions taken in the same order as `charges` (the local
    /// limiter's and the shared store's answers are reduced alike).
    package static func reduce(_ charges: [LimitCharge], _ decisions: [GCRA.Decision]) -> LimitVerdict {
        precondition(!charges.isEmpty && charges.count == decisions.count)
        let refused = decisions.indices.filter { !decisions[$0].admitted }
        if let worst = refused.max(by: { decisions[$0].retryAfter < decisions[$1].retryAfter }) {
            return LimitVerdict(admitted: false, binding: charges[worst], decision: decisions[worst])
        }
        // A peeked bucket was not charged: it reports only when nothing else was charged.
        let charged = decisions.indices.filter { !charges[$0].peek }
        let tightest = (charged.isEmpty ? Array(decisions.indices) : charged).min { decisions[$0].remaining < decisions[$1].remaining }!
        return LimitVerdict(admitted: true, binding: charges[tightest], decision: decisions[tightest])
    }
}

/// A store of GCRA state shared by every node of a cluster (Redis); the local `RateLimiter`
/// decides alone when there is none. Throws when the store cannot answer: what happens then is
/// the operator's policy (fail open to the local limiter, or fail closed).
package protocol SharedLimitStore: Sendable {
    /// Decides `charges` atomically, all or nothing, each charged `cost` when admitted.
    func decide(_ charges: [LimitCharge], cost: Int) async throws -> LimitVerdict
}

/// A limit's state as answers report it: verify's `ratelimit {limit, remaining, reset}` and the
/// IETF `RateLimit-Policy`/`RateLimit` headers (draft-ietf-httpapi-ratelimit-headers), plus
/// `Retry-After` when refused. Seconds are rounded up, so a client that waits them is admitted.
package struct RateLimitState: Sendable, Equatable {
    /// The policy's name in the headers: `key`, `identity`, `source`, `failure` or `routes`.
    package var name: String
    package var limit: RateLimit
    package var remaining: Int
    package var reset: Int
    /// Nil when admitted.
    package var retryAfter: Int?

    package init(name: String, limit: RateLimit, remaining: Int, reset: Int, retryAfter: Int?) {
        self.name = name
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
        self.retryAfter = retryAfter
    }

    package init(_ verdict: LimitVerdict) {
        let kinds: [Character: String] = ["k": "key", "c": "key", "i": "identity", "s": "source", "f": "failure", "r": "routes"]
        self.init(name: verdict.binding.bucket.first.flatMap { kinds[$0] } ?? "limit", limit: verdict.binding.limit,
                  remaining: verdict.decision.remaining, reset: Self.seconds(verdict.decision.reset),
                  retryAfter: verdict.admitted ? nil : max(1, Self.seconds(verdict.decision.retryAfter)))
    }

    static func seconds(_ d: Duration) -> Int {
        let c = d.components
        return Int(c.seconds) + (c.attoseconds > 0 ? 1 : 0)
    }

    /// `RateLimit-Policy` and `RateLimit` as structured-field lists of one item.
    package var headers: [(name: String, value: String)] {
        [("RateLimit-Policy", "\"\(name)\";q=\(limit.limit);w=\(limit.periodSeconds)"),
         ("RateLimit", "\"\(name)\";r=\(remaining);t=\(reset)")]
    }
}
