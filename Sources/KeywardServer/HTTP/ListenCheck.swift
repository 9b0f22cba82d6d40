#if canImport(Glibc)
import Glibc
#endif
import KeywardCore
import NIOCore

/// Checks that the listen address can be bound before the store is opened: a first start that
/// fails to bind after initialising the store would have printed (and lost) the admin key, and
/// the next start prints none (issue 11 bug 2).
package enum ListenCheck {
    /// Binds `host:port` the way the server will (first address the name resolves to,
    /// `SO_REUSEADDR` as Hummingbird sets it, so a port in TIME_WAIT is not refused) and
    /// releases it at once. Port 0 (any free port) cannot be taken and is not checked.
    /// Throws a validation error naming the address when it cannot be bound.
    package static func ensureBindable(host: String, port: Int) throws {
        guard port != 0 else { return }
        let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw KeywardError(.validation, "cannot listen on \(shown): the host name does not resolve")
        }
        let family = address.protocol.rawValue
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw KeywardError(.validation, "cannot listen on \(shown): \(describe(errno))") }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard rc == 0 else { throw KeywardError(.validation, "cannot listen on \(shown): \(describe(errno))") }
    }

    private static func describe(_ code: Int32) -> String {
        switch code {
        case EADDRINUSE: "the address is already in use (another keyward or another server holds the port)"
        case EACCES: "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)"
        case EADDRNOTAVAIL: "no interface of this machine has that address"
        default: String(cString: strerror(code))
        }
    }
}
