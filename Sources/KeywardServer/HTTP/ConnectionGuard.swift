import NIOCore
import NIOHTTP1

/// Per-connection timeouts and close-after-response, for every answer on the connection: it
/// sits right after the HTTP/1 decoder (see `GuardedHTTP1Channel`), before both the verify fast
/// path and the router, so what either writes passes through it.
///
/// - Idle: no request in progress and none being received → closed after `idleTimeout`.
/// - Head: from the first byte of a request (reported by `ByteWatch`, in front of the decoder)
///   until its head is decoded → `headTimeout`. Bytes arriving do not extend it.
/// - Body: from the decoded head until the request's end → `bodyTimeout`, a total.
/// - While the server is answering, no timer: that time is the server's.
/// - A request that does not keep the connection alive (HTTP/1.0 without `keep-alive`, or
///   `Connection: close`) is answered with `Connection: close` and the connection is closed
///   once that answer is flushed; anything the client sent after it is dropped.
///
/// One timer per connection, rescheduled only when a deadline moves earlier than the one it
/// is set for (about once per `headTimeout` on a busy keep-alive connection); per request the
/// work is three clock reads and a few comparisons.
/// Our own handler: Hummingbird's idle timer (`HTTPConnectionStateHandler`) restarts on every
/// decoded part and never sees bytes, so it bounds neither a head nor a body sent slowly.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Reading {
        /// No request partly received.
        case between
        case head(since: NIODeadline)
        case body(since: NIODeadline)
        /// The last request said close: the rest of the input is dropped.
        case discarding
    }

    private let idle: TimeAmount
    private let head: TimeAmount
    private let body: TimeAmount
    private let tracker: ConnectionTracker
    private var context: ChannelHandlerContext?
    private var reading = Reading.between
    /// When the connection last had nothing to do (its start, or its last answer's end).
    private var idleSince = NIODeadline.now()
    /// Requests whose head arrived and whose answer has not ended.
    private var unanswered = 0
    private var closeAfterAnswer = false
    /// The last request was HTTP/1.0: its answer is framed for HTTP/1.0 (no chunking).
    private var http10 = false
    private var timer: Scheduled<Void>?
    private var timerAt = NIODeadline.distantFuture

    init(limits: ConnectionLimits, tracker: ConnectionTracker) {
        idle = TimeAmount(limits.idleTimeout)
        head = TimeAmount(limits.headTimeout)
        body = TimeAmount(limits.bodyTimeout)
        self.tracker = tracker
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    private func start() {
        guard timer == nil else { return }
        idleSince = .now()
        armTimer()
    }

    // MARK: input

    /// Called by `ByteWatch` for every read from the socket, before the decoder sees it.
    func bytesArrived() {
        guard case .between = reading else { return }
        reading = .head(since: .now())
        armTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .discarding = reading { return }
        switch unwrapInboundIn(data) {
        case .head(let request):
            reading = .body(since: .now())
            unanswered += 1
            http10 = request.version == .http1_0
            if !request.isKeepAlive { closeAfterAnswer = true }
            armTimer()
        case .body:
            break
        case .end:
            // Before passing it on: the fast path answers within this call.
            reading = closeAfterAnswer ? .discarding : .between
            // The answer may already have gone (the router can answer a bodiless request before
            // the decoder hands over its end): then the idle deadline starts now, not at the
            // body deadline the answer's end armed.
            armTimer()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The decoder gives up on a malformed request; the router answers 400 and the
        // connection then ends with that answer.
        if error is HTTPParserError {
            closeAfterAnswer = true
            reading = .discarding
        }
        context.fireErrorCaught(error)
    }

    // MARK: output

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.code >= 200:
            guard http10 || (closeAfterAnswer && unanswered <= 1) else { break }
            if http10 {
                // RFC 9112 §6.1: no Transfer-Encoding for an HTTP/1.0 request; without a
                // length, the close delimits the body.
                response.version = .http1_0
                if !response.headers.contains(name: "content-length") { closeAfterAnswer = true }
            }
            let closing = closeAfterAnswer && unanswered <= 1
            // RFC 9112 §9.6: a server that closes after this answer says so.
            response.headers.replaceOrAdd(name: "connection", value: closing ? "close" : "keep-alive")
            return context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end:
            unanswered = max(0, unanswered - 1)
            guard unanswered == 0 else { break }
            if closeAfterAnswer {
                let written = promise ?? context.eventLoop.makePromise()
                let channel = context.channel
                context.writeAndFlush(data, promise: written)
                written.futureResult.whenComplete { _ in channel.close(promise: nil) }
                return
            }
            idleSince = .now()
            armTimer()
        default:
            break
        }
        context.write(data, promise: promise)
    }

    // MARK: timer

    /// The current deadline and the phase it belongs to; nil while the server is answering.
    private var deadline: (at: NIODeadline, phase: ConnectionTracker.Phase)? {
        switch reading {
        case .head(let since): return (since + head, .head)
        case .body(let since): return (since + body, .body)
        case .between, .discarding: return unanswered == 0 ? (idleSince + idle, .idle) : nil
        }
    }

    /// Makes sure a timer fires no later than the current deadline. A timer set for an
    /// earlier moment stays: when it fires, it looks at the deadline then.
    private func armTimer() {
        guard let at = deadline?.at, timer == nil || at < timerAt else { return }
        timer?.cancel()
        schedule(at)
    }

    private func schedule(_ at: NIODeadline) {
        guard let context else { return }
        timerAt = at
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: at) { [self] in fired() }
    }

    private func fired() {
        timer = nil
        guard let (at, phase) = deadline, let context else { return }
        if at <= .now() {
            tracker.timedOut(phase)
            context.close(promise: nil)
        } else {
            schedule(at)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

extension ConnectionGuard {
    /// Sits in front of the HTTP decoder (after TLS) and tells the guard when request bytes
    /// arrive, which starts the head timeout.
    final class ByteWatch: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let guardian: ConnectionGuard

        init(_ guardian: ConnectionGuard) {
            self.guardian = guardian
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guardian.bytesArrived()
            context.fireChannelRead(data)
        }
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}
