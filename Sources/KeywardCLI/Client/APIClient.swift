import AsyncHTTPClient
import Foundation
import KeywardAPI
import NIOCore
import NIOHTTP1

/// A small JSON client for Keyward's HTTP API over AsyncHTTPClient.
package struct APIClient: Sendable {
    /// One client per process. Connection failures are reported at once (no retry loop until
    /// the deadline): a CLI should say "unreachable" immediately.
    static let http: HTTPClient = {
        var config = HTTPClient.Configuration()
        config.connectionPool.retryConnectionEstablishment = false
        config.timeout = .init(connect: .seconds(5), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }()

    let base: String
    let token: String?

    package init(base: String, token: String?) {
        self.base = base
        self.token = token
    }

    package struct Reply: Sendable {
        package var status: Int
        package var body: Data
    }

    package func send(_ method: String, _ path: String, body: (some Encodable & Sendable)? = Optional<String>.none) async throws -> Reply {
        var req = HTTPClientRequest(url: base + path)
        req.method = HTTPMethod(rawValue: method)
        if let token { req.headers.add(name: "Authorization", value: "Bearer \(token)") }
        req.headers.add(name: "User-Agent", value: "keyward-cli")
        if let body {
            let data = try WireCoding.encoder().encode(body)
            req.headers.add(name: "Content-Type", value: "application/json")
            req.body = .bytes(ByteBuffer(bytes: data))
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(req, timeout: .seconds(60))
        } catch {
            throw CLIExit.error("cannot reach the Keyward server at \(base) (\(Self.describe(error)))")
        }
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Reply(status: Int(response.status.code), body: Data(buffer.readableBytesView))
    }

    /// Sends and decodes a 2xx reply; a problem+json reply becomes exit 2 with its detail.
    package func call<T: Decodable>(_ method: String, _ path: String, body: (some Encodable & Sendable)? = Optional<String>.none, as: T.Type) async throws -> T {
        let reply = try await send(method, path, body: body)
        guard (200..<300).contains(reply.status) else { throw Self.problem(reply) }
        do {
            return try WireCoding.decoder().decode(T.self, from: reply.body)
        } catch {
            throw CLIExit.error("unexpected response from the server (\(reply.status))")
        }
    }

    static func problem(_ reply: Reply) -> CLIExit {
        if let p = try? WireCoding.decoder().decode(Problem.self, from: reply.body) {
            var m = "\(p.status) \(p.title): \(p.detail)"
            if let rule = p.rule { m += " (rule \(rule))" }
            if reply.status == 401 { m += " — set KEYWARD_TOKEN to a management key" }
            return CLIExit.error(m)
        }
        return CLIExit.error("the server answered \(reply.status)")
    }

    static func describe(_ error: any Error) -> String {
        let s = String(describing: error)
        if s.contains("connectionRefused") || s.contains("Connection refused") { return "connection refused" }
        if s.contains("connectTimeout") || s.contains("deadlineExceeded") { return "timed out" }
        if s.contains("NIOConnectionError") || s.contains("connect") { return "connection failed" }
        return "request failed"
    }
}
