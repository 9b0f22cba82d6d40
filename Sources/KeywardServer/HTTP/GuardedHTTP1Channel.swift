import HummingbirdCore
import KeywardCore
import KeywardOAuth
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Hummingbird's HTTP/1 child channel with Keyward's connection guard around it: a new
/// connection is admitted under the connection caps or closed at once, and an admitted one
/// gets `ConnectionGuard` (timeouts, close-after-response) right after the HTTP/1 decoder and
/// `ConnectionGuard.ByteWatch` right before it. Used with or without TLS (TLS wraps this, so
/// the guard sees decrypted bytes and a stalled handshake falls under the idle timeout).
struct GuardedHTTP1Channel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        /// nil for a connection refused by a cap (already closing).
        let http: HTTP1Channel.Value?
    }

    let base: HTTP1Channel
    let limits: ConnectionLimits
    let tracker: ConnectionTracker

    /// `HTTPServerBuilder.http1(configuration:)` with the guard.
    static func http1(configuration: HTTP1Channel.Configuration, limits: ConnectionLimits, tracker: ConnectionTracker) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration), limits: limits, tracker: tracker)
        }
    }

    /// The same behind mutual TLS whose client certificates `trust` judges.
    static func mutualTLS(configuration: HTTP1Channel.Configuration, limits: ConnectionLimits, tracker: ConnectionTracker,
                          tls: TLSConfiguration, trust: ClientCertificateTrust, clock: WallClock) throws -> HTTPServerBuilder {
        try MutualTLSChannel.builder(tls: tls, trust: trust, clock: clock) { responder in
            GuardedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration), limits: limits, tracker: tracker)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // A failed setup would end the server's accept loop, so a refusal is a closed channel
        // handed on as a value, not an error.
        guard let admission = tracker.admit(channel.remoteAddress) else {
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededFuture(Value(channel: channel, http: nil))
        }
        let tracker = tracker, limits = limits
        channel.closeFuture.whenComplete { _ in tracker.release(admission) }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { http in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let guardian = ConnectionGuard(limits: limits, tracker: tracker)
            try pipeline.addHandler(ConnectionGuard.ByteWatch(guardian), position: .before(decoder))
            try pipeline.addHandler(guardian, position: .after(decoder))
            return Value(channel: channel, http: http)
        }.flatMapErrorThrowing { error in
            // Fail closed: a connection without its guard is not served.
            logger.error("connection guard not installed", metadata: ["error": "\(error)"])
            channel.close(promise: nil)
            return Value(channel: channel, http: nil)
        }
    }

    func handle(value: Value, logger: Logger) async {
        guard let http = value.http else { return }
        await base.handle(value: http, logger: logger)
    }
}
