import Hummingbird
import KeywardOAuth
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// Per-request state: Hummingbird's core storage, a request id and the peer address.
package struct KeywardRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let requestID: String
    package let remoteAddress: String?
    /// The connection, for its TLS client certificate (read only where a route needs it).
    let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        // A random base per process plus a counter: one getrandom at start, not a system call
        // per request (ids only correlate log lines and responses, as on the verify fast path).
        requestID = Self.nextRequestID()
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The next request id of this process (also for answers written in the channel pipeline).
    static func nextRequestID() -> String { String(idBase &+ served.wrappingAdd(1, ordering: .relaxed).newValue, radix: 16) }

    private static let idBase: UInt64 = .random(in: .min ... .max)
    private static let served = Atomic<UInt64>(0)

    /// The peer is on this machine (127.0.0.0/8 or ::1).
    package var isLoopback: Bool {
        guard let a = remoteAddress else { return false }
        return a.hasPrefix("127.") || a == "::1" || a.hasPrefix("::ffff:127.")
    }

    /// Whether this request may carry a plaintext secret (leak intelligence, credential import):
    /// only over TLS (`tls`: the server was started with --tls-cert) or from this machine.
    func plaintextAllowed(tls: Bool) -> Bool { tls || isLoopback }

    /// The client certificate the TLS handshake accepted on this connection (mutual TLS), with
    /// the path it was verified through to a client CA (none for a self-signed one), or nil over
    /// plain HTTP or without one. Read from the TLS layer on the connection's event loop, never
    /// from a header (RFC 9700 §4.13).
    func clientCertificate() async -> PresentedCertificate? {
        guard let cert = try? await channel.nioSSL_peerCertificate().get(), let der = try? cert.toDERBytes() else { return nil }
        let path = (try? await channel.nioSSL_peerValidatedCertificateChain().get()).flatMap { $0 }
        return PresentedCertificate(der: der, verifiedChain: path.map { $0.map { (try? $0.toDERBytes()) ?? [] } })
    }

    /// Bodies are collected explicitly with the configured limit (64 KiB by default).
    package var maxUploadSize: Int { 64 * 1024 }
}
