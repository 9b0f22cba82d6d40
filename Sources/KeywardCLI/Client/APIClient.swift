import AsyncHTTPClient
import Foundation
import KeywardAPI
import NIOCore
import NIOHTTP1
import NIOSSL

/// A small JSON client for Keyward's HTTP API over AsyncHTTPClient.
package struct APIClient: Sendable {
    /// One client per process. Connection failures are reported at once (no retry loop until
    /// the deadline): a CLI should say "unreachable" immediately.
    /// HTTPS: `KEYWARD_CACERT` (PEM bundle to trust instead of the system's), and for mutual
    /// TLS `KEYWARD_CLIENT_CERT` + `KEYWARD_CLIENT_KEY` (as Vault's VAULT_CACERT/VAULT_CLIENT_*).
    static let http: Result<HTTPClient, CLIExit> = {
        var config = HTTPClient.Configuration()
        config.connectionPool.retryConnectionEstablishment = false
        config.timeout = .init(connect: .seconds(5), read: .seconds(60))
        do {
            config.tlsConfiguration = try tls(Settings())
        } catch let e as CLIExit {
            return .failure(e)
        } catch {
            return .failure(CLIExit.error("cannot set up TLS"))
        }
        return .success(HTTPClient(eventLoopGroupProvider: .singleton, configuration: config))
    }()

    static func tls(_ settings: Settings) throws -> TLSConfiguration? {
        let ca = settings[.cacert].flatMap { $0.isEmpty ? nil : $0 }
        let cert = settings[.clientCert].flatMap { $0.isEmpty ? nil : $0 }
        let key = settings[.clientKey].flatMap { $0.isEmpty ? nil : $0 }
        guard ca != nil || cert != nil || key != nil else { return nil }
        guard (cert == nil) == (key == nil) else { throw CLIExit.error("KEYWARD_CLIENT_CERT and KEYWARD_CLIENT_KEY go together") }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let ca {
            guard let roots = try? NIOSSLCertificate.fromPEMFile(ca), !roots.isEmpty else {
                throw CLIExit.error("KEYWARD_CACERT \(ca): not a readable PEM certificate bundle")
            }
            tls.trustRoots = .certificates(roots)
        }
        if let cert, let key {
            guard let chain = try? NIOSSLCertificate.fromPEMFile(cert), !chain.isEmpty else {
                throw CLIExit.error("KEYWARD_CLIENT_CERT \(cert): not a readable PEM certificate chain")
            }
            guard let pkey = try? NIOSSLPrivateKey(file: key, format: .pem) else {
                throw CLIExit.error("KEYWARD_CLIENT_KEY \(key): not a readable PEM private key")
            }
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(pkey)
        }
        return tls
    }

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
            response = try await Self.http.get().execute(req, timeout: .seconds(60))
        } catch let e as CLIExit {
            throw e
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

    /// Sends; anything but a 2xx is exit 2 with the server's problem. For replies with no body (204).
    @discardableResult
    package func send(checked method: String, _ path: String) async throws -> Reply {
        let reply = try await send(method, path)
        guard (200..<300).contains(reply.status) else { throw Self.problem(reply) }
        return reply
    }

    static func problem(_ reply: Reply) -> CLIExit {
        if let p = try? WireCoding.decoder().decode(Problem.self, from: reply.body) {
            var m = "\(p.status) \(p.title): \(p.detail)"
            if let rule = p.rule { m += " (rule \(rule))" }
            if reply.status == 401 { m += " — set KEYWARD_TOKEN to a management key" }
            return CLIExit(2, m, problem: p)
        }
        return CLIExit.error("the server answered \(reply.status)")
    }

    static func describe(_ error: any Error) -> String {
        let s = String(describing: error)
        if s.contains("handshake") || s.contains("certificate") || s.contains("SSL") || s.contains("TLS") { return "TLS handshake failed; see KEYWARD_CACERT, KEYWARD_CLIENT_CERT, KEYWARD_CLIENT_KEY" }
        if s.contains("connectionRefused") || s.contains("Connection refused") { return "connection refused" }
        if s.contains("connectTimeout") || s.contains("deadlineExceeded") { return "timed out" }
        if s.contains("NIOConnectionError") || s.contains("connect") { return "connection failed" }
        return "request failed"
    }
}
