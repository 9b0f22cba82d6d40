import Foundation
import HTTPTypes
import KeywardCore
import KeywardOAuth
import KeywardVerify
import Logging
import NIOCore
import NIOHTTPTypes

/// Answers `POST /oauth/token` from the channel pipeline, without Hummingbird's router and its
/// per-request tasks and streams: the form is collected and parsed on the connection's event loop,
/// one task calls `OAuthRoutes.token` — the route's own function, so the checks, the group commit
/// and the answer's bytes are the route's — and the answer is written directly. Every answer it starts is its own to finish, errors included:
/// a token request must never run twice (its assertion and proof are single-use).
///
/// It takes only the plain case, as `VerifyFastPath` does: no request of this connection is with
/// the router, the connection stays open, the body is a form within 64 KiB, and the server
/// listens without TLS (a TLS connection may carry a client certificate, which only the router
/// reads). Anything else is passed on unchanged. While a token is being issued, later requests of
/// the connection wait here (and no more is read), so answers leave in order.
final class TokenFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        case collecting(HTTPRequest, ByteBuffer)
        case passing
        case issuing
    }

    private let server: AuthorizationServer
    private let limits: Limits
    private let log: RequestLog
    private let metrics: RequestMetrics
    private let counter: FastPathCounter
    private var state = State.idle
    /// When the request being collected arrived.
    private var started = ContinuousClock.now
    /// Requests handed to the router whose response has not ended yet.
    private var withRouter = 0
    /// Parts that arrived while a token was being issued, taken in order once it is answered.
    private var waiting: [HTTPRequestPart] = []
    /// A read the channel asked for while a token was being issued.
    private var readHeld = false

    init(server: AuthorizationServer, limits: Limits, metrics: RequestMetrics, counter: FastPathCounter, log: RequestLog) {
        self.limits = limits
        self.server = server
        self.metrics = metrics
        self.counter = counter
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        take(context, unwrapInboundIn(data))
    }

    func read(context: ChannelHandlerContext) {
        if case .issuing = state { readHeld = true } else { context.read() }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { withRouter -= 1 }
        context.write(data, promise: promise)
    }

    private func take(_ context: ChannelHandlerContext, _ part: HTTPRequestPart) {
        switch state {
        case .idle:
            guard case .head(let head) = part else { return context.fireChannelRead(wrapInboundOut(part)) }
            if withRouter == 0, Self.isCandidate(head) {
                started = .now
                state = .collecting(head, context.channel.allocator.buffer(capacity: 1024))
            } else {
                pass(context, part)
            }
        case .collecting(let head, var body):
            switch part {
            case .head:
                handOver(context, head: head, body: body, then: part)
            case .body(let chunk):
                if body.readableBytes + chunk.readableBytes > OAuthRoutes.maxForm {
                    // The router answers 413, as it does for any oversized form.
                    handOver(context, head: head, body: body, then: part)
                } else {
                    state = .idle // drop the reference before appending, so the buffer is not copied
                    body.writeImmutableBuffer(chunk)
                    state = .collecting(head, body)
                }
            case .end:
                state = .idle
                issue(context, head, body)
            }
        case .passing:
            if case .end = part { state = .idle }
            context.fireChannelRead(wrapInboundOut(part))
        case .issuing:
            waiting.append(part)
        }
    }

    private func pass(_ context: ChannelHandlerContext, _ part: HTTPRequestPart) {
        withRouter += 1
        state = .passing
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// Gives the router the request as received so far, then `part`.
    private func handOver(_ context: ChannelHandlerContext, head: HTTPRequest, body: ByteBuffer, then part: HTTPRequestPart) {
        pass(context, .head(head))
        if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
        if case .end = part { state = .idle }
        context.fireChannelRead(wrapInboundOut(part))
    }

    private static func isCandidate(_ head: HTTPRequest) -> Bool {
        guard head.method == .post, head.path == "/oauth/token", head.headerFields[.expect] == nil else { return false }
        if let connection = head.headerFields[.connection], connection.lowercased().contains("close") { return false }
        return OAuthRoutes.isForm(head.headerFields[.contentType])
    }

    private func issue(_ context: ChannelHandlerContext, _ head: HTTPRequest, _ body: ByteBuffer) {
        let form: FormBody
        do { form = try OAuthRoutes.parseForm(body) } catch {
            return respond(context, OAuthRoutes.errorAnswer(error))
        }
        state = .issuing
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let server = server, fields = head.headerFields, limits = limits, peer = context.channel.remoteAddress?.ipAddress
        // One task per token, straight to the route's function. (Running it on the event loop
        // itself, through a task executor, measured slower: 3,500 tokens/s against 4,770.)
        Task {
            let answer = await OAuthRoutes.token(server, form: form, headers: fields, certificate: nil, limits: limits, peer: peer)
            loop.execute { bound.value.0.finish(bound.value.1, answer) }
        }
    }

    /// Writes the issued token's answer, then takes the requests that waited for it.
    private func finish(_ context: ChannelHandlerContext, _ answer: OAuthRoutes.OAuthAnswer) {
        state = .idle
        respond(context, answer)
        guard context.channel.isActive else { return waiting.removeAll() }
        if !waiting.isEmpty {
            while !waiting.isEmpty {
                if case .issuing = state { break }
                take(context, waiting.removeFirst())
            }
            // What was passed on reaches Hummingbird's reader only with a read-complete.
            context.fireChannelReadComplete()
        }
        if case .issuing = state { return }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ answer: OAuthRoutes.OAuthAnswer) {
        let requestID = KeywardRequestContext.nextRequestID()
        // The fields the router adds after the route's own: ProblemMiddleware's id, then Hummingbird's date.
        var fields = answer.headers
        fields[Self.requestIDField] = requestID
        fields[.date] = HTTPDate.now
        // Counted and logged before the answer leaves, as the router's middleware does.
        metrics.record(method: .post, route: "/oauth/token", status: answer.status.code, since: started)
        counter.increment()
        log.request(method: "POST", route: "/oauth/token", status: answer.status.code, requestID: requestID, path: "fast")
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private static let requestIDField = HTTPField.Name("X-Request-Id")!
}
