import Foundation
import HTTPTypes
import KeywardAPI
import KeywardCore
import KeywardOAuth
import KeywardVerify
import Logging
import NIOCore
import NIOHTTPTypes
import Prometheus

/// Answers `POST /v1/keys/verify` and the gateways' `/v1/authz` on the connection's event loop, before the request reaches
/// Hummingbird's async router. Verify needs no I/O (an in-memory lookup), so handing it to a
/// task, streaming its body through an async sequence and coming back costs more than the
/// verify itself; this handler sits in the channel pipeline right after HTTP decoding (Hummingbird's
/// `additionalChannelHandlers`) and writes the answer directly.
///
/// It takes only the plain case: no request of this connection is still with the router (so
/// responses stay in order for pipelining clients), the connection stays open, the body is JSON
/// within the size limit, the bearer key holds `keyward:verify`, and the body decodes with the
/// hand-written codec; for `/v1/authz` (not HEAD), the caller is a trusted proxy and the answer needs
/// no shared store (`AuthzRoutes.answerNow`: the route's own function). Anything else — a bad key, a bad body, an oversized one — is passed on
/// unchanged to the router, which gives the usual problem+json answer. Both paths share
/// `Authenticator.authorize` and `VerifyPoint`, so they cannot disagree on a result.
/// Hand-written: Hummingbird has no synchronous route API, and no package here offers one.
final class VerifyFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        /// A candidate's head, its body so far, and which route it is for.
        case collecting(HTTPRequest, ByteBuffer, Route)
        case passing
    }

    /// The routes this path answers: verify, or forward-auth under its route template.
    private enum Route {
        case verify
        case authz(String)
    }

    /// The forward-auth route, and through it the verify point both routes judge with.
    private let authz: AuthzRoutes
    private var point: VerifyPoint { authz.point }
    private var verifier: Verifier { point.verifier }
    private let auth: Authenticator
    private let maxBodyBytes: Int
    private let log: RequestLog
    private let metrics: RequestMetrics
    private let counter: FastPathCounter
    /// When the request being collected arrived.
    private var started = ContinuousClock.now
    /// The request series of this path's only answer, looked up once per connection.
    private lazy var okSeries = metrics.series(method: .post, route: "/v1/keys/verify", status: 200)
    private var state = State.idle
    /// Requests handed to the router whose response has not ended yet.
    private var withRouter = 0
    /// Request ids: a random base per connection plus a counter (one getrandom per connection,
    /// not per request; ids only correlate log lines and responses).
    private let idBase: UInt64 = .random(in: .min ... .max)
    private var served: UInt64 = 0
    /// The last bearer header this connection presented that authorized, with its key's digest.
    /// A resource server sends the same bearer on every request; matching it (in constant time)
    /// saves parsing and hashing it again. The index is still consulted on every request, so a
    /// revoked or expired bearer stops working at once.
    private var bearer: (header: [UInt8], digest: SecretDigest)?

    init(authz: AuthzRoutes, auth: Authenticator, maxBodyBytes: Int, metrics: RequestMetrics, counter: FastPathCounter, log: RequestLog) {
        self.authz = authz
        self.metrics = metrics
        self.counter = counter
        self.auth = auth
        self.maxBodyBytes = maxBodyBytes
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .idle:
            guard case .head(let head) = part else { return context.fireChannelRead(data) }
            if withRouter == 0, let route = Self.candidate(head) {
                started = .now
                state = .collecting(head, context.channel.allocator.buffer(capacity: 512), route)
            } else {
                pass(context, data)
            }
        case .collecting(let head, var body, let route):
            switch part {
            case .head:
                // Cannot happen with a well-behaved decoder; hand everything over.
                handOver(context, head: head, body: body, then: part)
            case .body(let chunk):
                if body.readableBytes + chunk.readableBytes > maxBodyBytes {
                    handOver(context, head: head, body: body, then: part)
                } else {
                    state = .idle // drop the reference before appending, so the buffer is not copied
                    body.writeImmutableBuffer(chunk)
                    state = .collecting(head, body, route)
                }
            case .end(let trailers):
                state = .idle
                if case .authz(let authzRoute) = route {
                    if let answer = authz.answerNow(head, peer: context.channel.remoteAddress?.ipAddress) {
                        respond(context, answer, method: head.method, route: authzRoute)
                    } else {
                        handOver(context, head: head, body: body, then: .end(trailers))
                    }
                } else if let answer = answer(head, body) {
                    respond(context, answer)
                } else {
                    handOver(context, head: head, body: body, then: .end(trailers))
                }
            }
        case .passing:
            if case .end = part { state = .idle }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { withRouter -= 1 }
        context.write(data, promise: promise)
    }

    private func pass(_ context: ChannelHandlerContext, _ data: NIOAny) {
        withRouter += 1
        state = .passing
        context.fireChannelRead(data)
    }

    /// Gives the router the request as received so far, then `part`.
    private func handOver(_ context: ChannelHandlerContext, head: HTTPRequest, body: ByteBuffer, then part: HTTPRequestPart) {
        pass(context, wrapInboundOut(.head(head)))
        if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
        if case .end = part { state = .idle }
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// The route when this path may take the request, or nil. Verify is recognised first, by an
    /// exact comparison: it is the request this path exists for.
    private static func candidate(_ head: HTTPRequest) -> Route? {
        if let connection = head.headerFields[.connection], connection.lowercased().contains("close") { return nil }
        if head.method == .post, head.path == "/v1/keys/verify" {
            return JSONIO.isJSON(head.headerFields[.contentType]) ? .verify : nil
        }
        return authzRoute(head).map(Route.authz)
    }

    /// The router's route template for a forward-auth request this path may answer, or nil. Only
    /// plain paths (no empty segment, no trailing slash), so the router would match it the same way;
    /// HEAD goes to the router, whose encoder knows to send no body.
    private static func authzRoute(_ head: HTTPRequest) -> String? {
        guard head.method != .head, AuthzRoutes.methods.contains(head.method), let full = head.path else { return nil }
        let path = full.firstIndex(of: "?").map { full[..<$0] } ?? Substring(full)
        let prefix = ForwardedRequest.prefix
        if path == prefix { return prefix }
        guard path.hasPrefix(prefix + "/"), !path.hasSuffix("/"), !path.contains("//") else { return nil }
        return prefix + "/**"
    }

    /// The response body, or nil when the router should answer (any error or odd input).
    private func answer(_ head: HTTPRequest, _ body: ByteBuffer) -> ByteBuffer? {
        guard let header = head.headerFields[.authorization], authorized(header),
              let request = VerifyCodec.decode(body) else { return nil }
        guard case .ready(let outcome)? = try? point.step(request) else { return nil }
        return VerifyRoutes.encode(outcome)
    }

    private func authorized(_ header: String) -> Bool {
        let bytes = Array(header.utf8)
        if let bearer, ConstantTime.equal(bearer.header, bytes) {
            return (try? auth.authorize(verifier.verify(knownDigest: bearer.digest), .verify)) != nil
        }
        bearer = nil
        guard (try? auth.authorize(header, .verify)) != nil else { return false }
        bearer = (bytes, SecretDigest(hashing: bytes.dropFirst("Bearer ".utf8.count)))
        return true
    }

    private func respond(_ context: ChannelHandlerContext, _ body: ByteBuffer) {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        respond(context, status: .ok, fields: fields, body: body, method: .post, route: "/v1/keys/verify", series: okSeries)
    }

    private func respond(_ context: ChannelHandlerContext, _ answer: AuthzAnswer, method: HTTPRequest.Method, route: String) {
        let body = answer.body.map { context.channel.allocator.buffer(string: $0) } ?? context.channel.allocator.buffer(capacity: 0)
        respond(context, status: answer.status, fields: answer.headers, body: body, method: method, route: route,
                series: metrics.series(method: method, route: route, status: answer.status.code))
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponse.Status, fields: HTTPFields, body: ByteBuffer,
                         method: HTTPRequest.Method, route: String, series: RequestMetrics.Series) {
        served &+= 1
        let requestID = String(idBase &+ served, radix: 16)
        var fields = fields
        fields[.contentLength] = String(body.readableBytes)
        fields[.date] = HTTPDate.now
        fields[Self.requestIDField] = requestID
        // Counted and logged before the answer leaves, as the router's middleware does: a client
        // that has read it finds it in the metrics and the log.
        series.count.increment()
        counter.increment()
        series.duration.record(ContinuousClock.now - started)
        // The same allow-listed line as ProblemMiddleware writes for the router's requests.
        log.request(method: method.rawValue, route: route, status: status.code, requestID: requestID, path: "fast")
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        // Flushed once the event loop has read every connection that was ready, not here: each flush
        // wakes the client, and a wake-up per answer (an inter-processor interrupt on a VM) cost more than
        // the verify itself. Answers to many connections then leave in one burst, as the router's do.
        guard !flushPending else { return }
        flushPending = true
        context.eventLoop.assumeIsolatedUnsafeUnchecked().execute { [self] in
            flushPending = false
            context.flush()
        }
    }

    /// An answer was written and its flush is queued behind this loop iteration's reads.
    private var flushPending = false

    private static let requestIDField = HTTPField.Name("X-Request-Id")!
}
