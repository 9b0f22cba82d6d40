import Hummingbird
import Logging
import NIOCore

/// Per-request state: Hummingbird's core storage, a request id and the peer address.
package struct KeywardRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let requestID: String
    package let remoteAddress: String?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        var rng = SystemRandomNumberGenerator()
        requestID = String(rng.next() as UInt64, radix: 16)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The peer is on this machine (127.0.0.0/8 or ::1).
    package var isLoopback: Bool {
        guard let a = remoteAddress else { return false }
        return a.hasPrefix("127.") || a == "::1" || a.hasPrefix("::ffff:127.")
    }

    /// Whether this request may carry a plaintext secret (leak intelligence, credential import):
    /// only over TLS (`tls`: the server was started with --tls-cert) or from this machine.
    func plaintextAllowed(tls: Bool) -> Bool { tls || isLoopback }

    /// Bodies are collected explicitly with the configured limit (64 KiB by default).
    package var maxUploadSize: Int { 64 * 1024 }
}
