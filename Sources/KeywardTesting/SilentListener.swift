import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A TCP listener on 127.0.0.1:<free port> that accepts connections and never reads or answers:
/// a webhook receiver that hangs (its client waits until its own timeout or cancellation). With
/// `greeting`, it writes those bytes to each connection it accepts, and still never reads (a server
/// that answers junk).
package final class SilentListener: Sendable {
    package let port: Int
    package var url: String { "http://127.0.0.1:\(port)/hook" }
    private let fd: Int32
    private let accepted = Mutex<[Int32]>([])

    package init(greeting: [UInt8]? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 16) == 0 else { Glibc.close(fd); throw POSIXError(.EADDRNOTAVAIL) }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        // A thread blocked in accept(2) until `close` shuts the socket down.
        Thread.detachNewThread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                if let greeting { _ = greeting.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
                accepted.withLock { $0.append(c) }
            }
        }
    }

    /// Connections accepted so far.
    package func connections() -> Int { accepted.withLock { $0.count } }

    package func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        for c in accepted.withLock({ $0 }) { Glibc.close(c) }
    }
}
