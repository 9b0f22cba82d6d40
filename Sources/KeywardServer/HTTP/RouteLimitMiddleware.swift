import Foundation
import HTTPTypes
import Hummingbird
import KeywardCore
import KeywardVerify

/// Keyward's own routes are limited too: per caller address (`routes` in `RateLimitPolicy`), and a
/// caller whose bearer keys keep failing is refused by its failure bucket (`f:<address>|bearer`)
/// before it can try another. Answers 429 problem+json with `Retry-After` and the IETF
/// `RateLimit-Policy`/`RateLimit` headers, which every limited answer carries.
/// Not here: verify and `/v1/authz` (limited per key, identity and source inside `VerifyPoint`),
/// the OAuth endpoints (the token endpoint has failure buckets per client and source in
/// `OAuthRoutes.token`; introspection is a resource server's hot path like verify; their errors are
/// RFC 6749 bodies, never problem+json), the public `/.well-known` documents, and the probes and
/// metrics a load balancer or scraper polls.
struct RouteLimitMiddleware: RouterMiddleware {
    typealias Context = KeywardRequestContext
    let limits: Limits

    static let exempt: Set<String> = ["/healthz", "/readyz", "/metrics", "/v1/keys/verify"]
    static let exemptPrefixes = ["/v1/authz", "/oauth/", "/.well-known/"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard limits.policy.enabled, let ip = context.remoteAddress, let routes = limits.policy.routes,
              !Self.exempt.contains(path), !Self.exemptPrefixes.contains(where: path.hasPrefix) else {
            return try await next(request, context)
        }
        let bearerFailures = limits.policy.failure.map { LimitCharge("f:\(ip)|bearer", $0) }
        let charges = [LimitCharge("r:\(ip)", routes)] + (bearerFailures.map { [$0.peeked] } ?? [])
        let verdict = try await limits.decide(charges)
        let state = RateLimitState(verdict)
        guard verdict.admitted else {
            limits.countRefusal(state)
            return ProblemResponse.make(KeywardError(.rateLimited, Self.message(state), retryAfter: state.retryAfter),
                                        requestID: context.requestID, extraHeaders: Self.fields(state))
        }
        do {
            var response = try await next(request, context)
            if response.status == .unauthorized, path == "/console/sign-in", let bearerFailures {
                // The console's sign-in form answers a wrong key with a page, not a thrown 401: charged the same.
                _ = try? await limits.decide([bearerFailures])
            }
            for field in Self.fields(state) { response.headers[field.name] = field.value }
            return response
        } catch {
            if let e = error as? KeywardError, e.code == .unauthorized, request.headers[.authorization] != nil, let bearerFailures {
                // A bearer key presented and refused: charged to this address's failure bucket (never the key's
                // owner's limits). A request with no key at all guessed nothing, and is not counted.
                _ = try? await limits.decide([bearerFailures])
            }
            throw error
        }
    }

    static func message(_ s: RateLimitState) -> String {
        s.name == "failure" ? "too many failed attempts from this address; retry in \(s.retryAfter ?? 1) s"
            : "rate limit of \(s.limit.limit) requests per \(s.limit.periodSeconds) s exceeded; retry in \(s.retryAfter ?? 1) s"
    }

    static func fields(_ s: RateLimitState) -> HTTPFields {
        var f = HTTPFields()
        for (name, value) in s.headers { f[HTTPField.Name(name)!] = value }
        return f
    }
}
