import Foundation
import HummingbirdCore
import KeywardCore
import KeywardOAuth
import Logging
import NIOCore
import NIOSSL

/// TLS around Keyward's HTTP channel, with client certificates judged by
/// `ClientCertificateTrust` in NIOSSL's verification callback. Hummingbird's own TLS channel
/// takes no callback that can return the verified chain; this one does, so each connection
/// keeps the path its certificate was verified through (`nioSSL_peerValidatedCertificateChain`)
/// — or none, for a self-signed certificate accepted for `self_signed_tls_client_auth`.
struct MutualTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let context: NIOSSLContext
    let trust: ClientCertificateTrust
    let clock: WallClock

    /// A server whose child channels are `makeBase(responder)` behind mutual TLS.
    static func builder(tls: TLSConfiguration, trust: ClientCertificateTrust, clock: WallClock,
                        makeBase: @escaping @Sendable (@escaping HTTPChannelHandler.Responder) -> Base) throws -> HTTPServerBuilder {
        let context = try NIOSSLContext(configuration: tls)
        return HTTPServerBuilder { responder in MutualTLSChannel(base: makeBase(responder), context: context, trust: trust, clock: clock) }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let trust = trust, clock = clock, context = context, base = base
        return channel.eventLoop.makeCompletedFuture {
            let handler = NIOSSLServerHandler(context: context, configuration: .init()) { certificates, promise in
                let presented = certificates.compactMap { try? $0.toDERBytes() }
                let complete = presented.count == certificates.count
                promise.completeWithTask {
                    guard complete else { return .failed }
                    switch await trust.evaluate(presented, now: clock.now()) {
                    case .verified(let chain):
                        let path = try chain.map { try NIOSSLCertificate(bytes: $0, format: .der) }
                        return .certificateVerified(VerificationMetadata(ValidatedCertificateChain(path)))
                    case .selfSigned:
                        return .certificateVerified(VerificationMetadata(nil))
                    case .refused:
                        return .failed
                    }
                }
            }
            try channel.pipeline.syncOperations.addHandler(handler)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
