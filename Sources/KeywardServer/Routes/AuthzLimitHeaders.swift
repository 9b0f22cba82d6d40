import HTTPTypes
import KeywardVerify

/// `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit` headers (draft-ietf-httpapi-
/// ratelimit-headers: `"name";q=<limit>;w=<window s>` and `"name";r=<remaining>;t=<reset s>`) on a
/// forward-auth answer, from what verify decided.
enum AuthzLimitHeaders {
    static func add(for o: VerifyOutcome, to headers: inout HTTPFields) {
        // TODO(lead): VerifyOutcome carries no limit figures yet; once it does, fill these from
        // its ratelimit {limit, remaining, reset} and its retry-after.
        headers[.retryAfter] = "1"
    }

    /// The header values for a limit of `limit` requests per `window` seconds with `remaining`
    /// left, whole again in `reset` seconds.
    static func fields(limit: Int, window: Int, remaining: Int, reset: Int, retryAfter: Int?, into headers: inout HTTPFields) {
        headers[.init("RateLimit-Policy")!] = "\"default\";q=\(limit);w=\(window)"
        headers[.init("RateLimit")!] = "\"default\";r=\(remaining);t=\(reset)"
        if let retryAfter { headers[.retryAfter] = String(max(1, retryAfter)) }
    }
}
