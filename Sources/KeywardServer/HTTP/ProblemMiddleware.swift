import Foundation
import HTTPTypes
import Hummingbird
import KeywardCore
import KeywardOAuth
import Logging

/// Turns every error into problem+json and writes one allow-listed log line per request:
/// method, route pattern (never the raw path or query, which may carry a key), status,
/// duration, request id. Bodies and headers are never logged.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = KeywardRequestContext
    let routes: RouteTable
    let metrics: RequestMetrics
    let log: RequestLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            var kw = ProblemResponse.classify(error)
            var extra: HTTPFields = [:]
            if kw.code == .notFound, context.endpointPath == nil || context.endpointPath == "NotFound" {
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    kw = KeywardError(.methodNotAllowed, "method not allowed on this route")
                    extra[.allow] = Set(allowed.map(\.rawValue)).sorted().joined(separator: ", ")
                }
            }
            if kw.code == .internalError {
                log.logger.error("request failed", metadata: ["request_id": "\(context.requestID)", "error_type": "\(kw.detail ?? "unknown")"])
            }
            if request.uri.path.hasPrefix("/oauth/") {
                // RFC 6749 bodies on /oauth/*, whatever went wrong before the route answered.
                let status = ProblemResponse.status(for: kw.code)
                response = OAuthRoutes.error(OAuthFailure(status.code >= 500 ? .temporarilyUnavailable : .invalidRequest,
                                                          kw.message, status: status.code))
                for field in extra { response.headers[field.name] = field.value }
            } else {
                response = ProblemResponse.make(kw, requestID: context.requestID, extraHeaders: extra)
            }
        }
        response.headers[.init("X-Request-Id")!] = context.requestID
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 }
        metrics.record(method: request.method, route: route, status: response.status.code, since: start)
        if log.enabled {
            let elapsed = (ContinuousClock.now - start).components
            let ms = Double(elapsed.seconds) * 1_000 + Double(elapsed.attoseconds) / 1e15
            log.request(method: request.method.rawValue, route: context.endpointPath ?? "NotFound", status: response.status.code,
                        requestID: context.requestID, ms: String(format: "%.2f", ms))
        }
        return response
    }
}
