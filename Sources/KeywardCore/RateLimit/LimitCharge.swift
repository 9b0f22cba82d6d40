import Foundation

/// What a bucket limits, as a value cheap to hash on the verify path (no string is built for the
/// local limiter): a key, an access token's client, an identity (by their 128-bit ids), a source
/// address, a failure bucket (address and target), or any other named bucket. Its `name` (built only
/// for a shared store and messages) is `k:<key id>`, `c:<client id>`, `i:<identity id>`, `s:<address>`,
/// `f:<address>|<target>`, or the name given; an own limit adds `@limit/period/burst`, so a changed
/// limit starts afresh instead of inheriting what the old one owed.
package struct BucketID: Hashable, Sendable {
    package enum Kind: UInt8, Sendable { case key, client, identity, source, failure, named }
    package var kind: Kind
    package var id: UInt128
    package var text: String
    package var own: RateLimit?

    package init(_ kind: Kind, id: UInt128 = 0, text: String = "", own: RateLimit? = nil) {
        self.kind = kind
        self.id = id
        self.text = text
        self.own = own
    }

    package var name: String {
        let tag = own.map { "@\($0.limit)/\($0.periodSeconds)/\($0.burst)" } ?? ""
        switch kind {
        case .key: return "k:\(KeyID(raw: id))" + tag
        case .client: return "c:" + text + tag
        case .identity: return "i:\(IdentityID(raw: id))" + tag
        case .source: return "s:" + text
        case .failure: return "f:" + text + "|" + (id == 0 ? "-" : IdentityID(raw: id).description)
        case .named: return text
        }
    }

    /// The policy's name for this bucket in answers and headers.
    var policyName: String {
        switch kind {
        case .key, .client: return "key"
        case .identity: return "identity"
        case .source: return "source"
        case .failure: return "failure"
        case .named:
            switch text.utf8.first {
            case UInt8(ascii: "k"), UInt8(ascii: "c"): return "key"
            case UInt8(ascii: "i"): return "identity"
            case UInt8(ascii: "s"): return "source"
            case UInt8(ascii: "f"): return "failure"
            case UInt8(ascii: "r"): return "routes"
            default: return "limit"
            }
        }
    }
}

/// One bucket a request is charged to, and the limit that applies to it.
package struct LimitCharge: Sendable, Equatable {
    package var id: BucketID
    package var limit: RateLimit
    /// A bucket that must admit the request but is not charged by it: a failure bucket consulted by
    /// a request that succeeds (an exhausted one refuses every request from its source to its target).
    package var peek: Bool
    package init(_ id: BucketID, _ limit: RateLimit, peek: Bool = false) {
        self.id = id
        self.limit = limit
        self.peek = peek
    }

    /// A bucket by name (`r:<address>`, `f:<address>|bearer`, …).
    package init(_ bucket: String, _ limit: RateLimit, peek: Bool = false) {
        self.init(BucketID(.named, text: bucket), limit, peek: peek)
    }

    /// The same bucket, consulted without being charged.
    package var peeked: LimitCharge { LimitCharge(id, limit, peek: true) }

    /// Its name in a shared store.
    package var bucket: String { id.name }
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
        // One pass, no allocation (this runs on every verify): the refusal that frees up last, else
        // the charged bucket with the fewest left (a peeked one was not charged: it reports only
        // when nothing else was).
        var worst = -1, tightest = -1
        for i in decisions.indices {
            if !decisions[i].admitted {
                if worst < 0 || decisions[i].retryAfter > decisions[worst].retryAfter { worst = i }
            } else if tightest < 0 || (charges[tightest].peek && !charges[i].peek)
                        || (charges[i].peek == charges[tightest].peek && decisions[i].remaining < decisions[tightest].remaining) {
                tightest = i
            }
        }
        if worst >= 0 { return LimitVerdict(admitted: false, binding: charges[worst], decision: decisions[worst]) }
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
        self.init(name: verdict.binding.id.policyName, limit: verdict.binding.limit,
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
