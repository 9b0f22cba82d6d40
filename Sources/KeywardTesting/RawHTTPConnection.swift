import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to a test server, speaking HTTP/1.1 by hand: for what an HTTP client
/// library hides — pipelining, a body sent in pieces, several requests on one connection,
/// `Connection: close`.
package final class RawHTTPConnection {
    private let fd: Int32
    private var pending: [UInt8] = []

    package struct Response {
        package var status: Int
        package var headers: [String: String] // lower-cased names
        package var body: String
        /// The response exactly as received: status line, fields in order, body.
        package var raw: String = ""
    }

    /// Connects to `http://127.0.0.1:<port>` (the form of `TestServer.baseURL`), from
    /// `source` when given (any 127.x.y.z: a second client address on loopback).
    package init(baseURL: String, source: String? = nil) throws {
        guard let port = baseURL.split(separator: ":").last.flatMap({ UInt16($0) }) else { throw POSIXError(.EINVAL) }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let rc = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { close(fd); throw POSIXError(.EADDRNOTAVAIL) }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    /// A complete request's bytes (Content-Length set from the body).
    package static func request(_ method: String, _ path: String, token: String?, body: String? = nil, headers: [String] = []) -> String {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1"]
        if let token { lines.append("Authorization: Bearer \(token)") }
        if let body { lines += ["Content-Type: application/json", "Content-Length: \(body.utf8.count)"] }
        lines += headers
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? "")
    }

    package func send(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Reads one response (Content-Length bodies only, which is all Keyward sends). Never
    /// blocks a thread: it polls and sleeps, so an in-process server's tasks keep the
    /// cooperative thread pool even while other tests hold threads.
    package func read(timeout: Duration = .seconds(30)) async throws -> Response {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let r = try parse() { return r }
            guard let chunk = try receive() else {
                guard ContinuousClock.now < deadline else { throw POSIXError(.ETIMEDOUT) }
                try await Task.sleep(for: .milliseconds(1))
                continue
            }
            guard !chunk.isEmpty else { throw POSIXError(.ECONNRESET) }
            pending += chunk
        }
    }

    /// True when the server closes the connection (end of stream) within `timeout`.
    package func isClosedByPeer(timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let chunk = try receive() { if chunk.isEmpty { return true }; continue }
            // Read once more after the deadline (a task that slept past it still sees the close).
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// True when the server ends the connection within `timeout`: end of stream, or a reset
    /// (a server that closes with unread input resets). Reads and drops any answer before it.
    /// The default wait is generous on purpose: early in a cold full run on two cores, a server's
    /// event loop can take tens of seconds to accept a connection or run its timer. The tests
    /// assert that the server closes the connection, never how soon.
    package func isEndedByPeer(timeout: Duration = .seconds(120)) async throws -> Bool {
        do { return try await isClosedByPeer(timeout: timeout) } catch let e as POSIXError where e.code == .ECONNRESET { return true }
    }

    /// Bytes available now; [] at end of stream; nil when nothing is there yet.
    private func receive() throws -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: 65_536)
        let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
        if n > 0 { return Array(buf[0..<n]) }
        if n == 0 { return [] }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }

    private func parse() throws -> Response? {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = pending.indices.dropLast(3).first(where: { Array(pending[$0..<$0 + 4]) == sep }) else { return nil }
        let head = String(decoding: pending[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw POSIXError(.EBADMSG)
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + 4
        guard pending.count >= bodyStart + length else { return nil }
        let body = String(decoding: pending[bodyStart..<bodyStart + length], as: UTF8.self)
        let raw = String(decoding: pending[0..<bodyStart + length], as: UTF8.self)
        pending.removeFirst(bodyStart + length)
        return Response(status: status, headers: headers, body: body, raw: raw)
    }
}
