import Foundation
import KeywardTesting
import Testing

/// The shipped NGINX configuration (deploy/nginx) in front of a small upstream, with `keyward serve`
/// as its forward-auth, all real processes on loopback with free ports: Debian's nginx (installed
/// by scripts/install.sh --test), the built binary, and a Python upstream that echoes the request
/// headers it received.
@Suite("NGINX auth_request in front of an API, with Keyward's /v1/authz", .serialized)
struct AuthzNginxTests {
    /// An upstream answering every GET and POST with the request's headers as JSON.
    static let upstreamScript = """
        import json, sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        class Echo(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self):
                body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            do_GET = do_POST = do_DELETE = answer
            def log_message(self, *args):
                pass
        ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
        """

    struct Stack {
        let dir: TempDirectory
        let keyward: BackgroundProcess
        let upstream: BackgroundProcess
        let nginx: BackgroundProcess
        let keywardURL: String
        let gateway: String
        let env: [String: String]

        func stop() {
            nginx.stop()
            upstream.stop()
            keyward.stop()
            dir.remove()
        }

        func kw(_ args: String...) async throws -> String {
            let r = try await KeywardBinary.run(args, env: env)
            #expect(r.status == 0, "\(args.prefix(2)): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The shipped server block with its three addresses pointed at free ports, beside the shipped
    /// local main configuration, in `dir`.
    static func renderNginx(into dir: TempDirectory, listen: Int, keyward: Int, upstream: Int) throws -> String {
        let deploy = KeywardBinary.repositoryRoot().path + "/deploy/nginx/"
        let block = try String(contentsOfFile: deploy + "keyward-authz.conf", encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:8000", with: "127.0.0.1:\(listen)")
            .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(keyward)")
            .replacingOccurrences(of: "127.0.0.1:9000", with: "127.0.0.1:\(upstream)")
        let main = try String(contentsOfFile: deploy + "nginx-local.conf", encoding: .utf8)
            .replacingOccurrences(of: "worker_processes auto;", with: "worker_processes 1;")
        try FileManager.default.createDirectory(atPath: dir.file("nginx"), withIntermediateDirectories: true)
        try block.write(toFile: dir.file("nginx/keyward-authz.conf"), atomically: true, encoding: .utf8)
        try main.write(toFile: dir.file("nginx/nginx-local.conf"), atomically: true, encoding: .utf8)
        return dir.file("nginx")
    }

    static func start(serveArgs: [String]) async throws -> Stack {
        let dir = try TempDirectory("keyward-authz-nginx")
        let (keyward, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), extraArgs: serveArgs)
        let keywardPort = try #require(url.split(separator: ":").last.flatMap { Int($0) })
        let upstreamPort = try PostgresServer.freePort(), listen = try PostgresServer.freePort()
        let upstream = try BackgroundProcess("/usr/bin/env", ["python3", "-c", upstreamScript, String(upstreamPort)], logDirectory: dir.path)
        let prefix = try renderNginx(into: dir, listen: listen, keyward: keywardPort, upstream: upstreamPort)
        let nginx = try BackgroundProcess("/usr/sbin/nginx", ["-p", prefix, "-e", "stderr", "-c", prefix + "/nginx-local.conf", "-g", "daemon off;"],
                                          logDirectory: dir.path)
        let stack = Stack(dir: dir, keyward: keyward, upstream: upstream, nginx: nginx, keywardURL: url, gateway: "http://127.0.0.1:\(listen)",
                          env: ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin)])
        // All listening: the upstream answers directly, and a request without a key reaches Keyward through NGINX and comes back 401.
        let up = await eventually(timeout: .seconds(30)) {
            let direct = try? await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "--max-time", "5", "http://127.0.0.1:\(upstreamPort)/"])
            return direct?.status == 0 ? (try? await curl(stack, "/ready"))?.status == 401 : false
        }
        if up == nil { stack.stop() }
        try #require(up != nil, "nginx or the upstream did not come up: \(nginx.stderr.suffix(1_000))")
        return stack
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// `curl` through the gateway: status, lower-cased response headers, body.
    static func curl(_ s: Stack, _ path: String, method: String = "GET", headers: [String] = []) async throws -> Answer {
        let args = ["-s", "-S", "-i", "--max-time", "20", "-X", method] + headers.flatMap { ["-H", $0] } + [s.gateway + path]
        let r = try await ProcessRunner.run("/usr/bin/curl", args)
        guard r.status == 0 else { throw POSIXError(.ECONNREFUSED) }
        let parts = r.stdout.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test("through NGINX: a valid key reaches the API as X-Keyward-Identity (never the key itself); no key 401, a wrong scope 403, over its limit 429 with Retry-After and RateLimit headers, a revoked key 401")
    func allowDenyScope() async throws {
        let s = try await Self.start(serveArgs: ["--authz-trusted-proxy", "127.0.0.1/32", "--authz-key-header", "X-API-Key",
                                                "--authz-route", "POST /v1/orders*=payments:write"])
        defer { s.stop() }
        let idn = try await s.kw("identities", "create", "-q", "--name", "orders-client", "--kind", "service", "--environment", "production",
                                 "--technical-owner", "alice@example.com", "--purpose", "reads orders", "--allowed-scope", "payments:read")
        let created = try await s.kw("keys", "create", "--identity", idn, "--scope", "payments:read", "--ttl", "30d", "--json")
        let issued = try #require(try JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: Any])
        let key = try #require(issued["key"] as? String), keyID = try #require(issued["id"] as? String)

        let ok = try await Self.curl(s, "/v1/orders/42?expand=items", headers: ["Authorization: Bearer \(key)", "X-Keyward-Identity: spoofed"])
        #expect(ok.status == 200, "\(ok.status) \(ok.body) \(s.nginx.stderr.suffix(500))")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(ok.body.utf8)) as? [String: String], "\(ok.body)")
        #expect(seen["x-keyward-identity"] == idn && seen["x-keyward-key"] == keyID && seen["x-keyward-scopes"] == "payments:read", "\(seen)")
        #expect(seen["authorization"] == nil && !ok.body.contains(key), "the upstream saw the credential")
        let viaHeader = try await Self.curl(s, "/v1/orders/42", headers: ["X-API-Key: \(key)"])
        #expect(viaHeader.status == 200 && !viaHeader.body.contains(key) && viaHeader.body.contains(idn), "\(viaHeader.status) \(viaHeader.body)")

        let missing = try await Self.curl(s, "/v1/orders/42")
        #expect(missing.status == 401 && missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(missing.status) \(missing.headers)")
        let scope = try await Self.curl(s, "/v1/orders", method: "POST", headers: ["Authorization: Bearer \(key)"])
        #expect(scope.status == 403, "\(scope.status) \(scope.body)")

        // A key limited to 2 requests an hour: the third is 429 through NGINX, with Retry-After and the RateLimit headers.
        let limitedOut = try await s.kw("keys", "create", "--identity", idn, "--scope", "payments:read", "--ttl", "30d", "--rate-limit", "2/3600", "--json")
        let limited = try #require((try JSONSerialization.jsonObject(with: Data(limitedOut.utf8)) as? [String: Any])?["key"] as? String)
        for _ in 0..<2 {
            let r = try await Self.curl(s, "/v1/orders/1", headers: ["X-API-Key: \(limited)"])
            #expect(r.status == 200 && r.headers["ratelimit"] != nil, "\(r.status) \(r.headers)")
        }
        let over = try await Self.curl(s, "/v1/orders/1", headers: ["X-API-Key: \(limited)"])
        #expect(over.status == 429, "\(over.status) \(over.body) \(s.nginx.stderr.suffix(500))")
        #expect(Int(over.headers["retry-after"] ?? "") ?? 0 >= 1, "\(over.headers)")
        #expect(over.headers["ratelimit-policy"]?.contains("q=2;w=3600") == true && over.headers["ratelimit"]?.contains("r=0") == true, "\(over.headers)")
        // Another key of the same identity is not limited by this key's bucket.
        #expect(try await Self.curl(s, "/v1/orders/1", headers: ["Authorization: Bearer \(key)"]).status == 200)

        _ = try await s.kw("keys", "revoke", keyID, "--reason", "authz test")
        let revoked = try await Self.curl(s, "/v1/orders/42", headers: ["Authorization: Bearer \(key)"])
        #expect(revoked.status == 401 && revoked.headers["www-authenticate"]?.contains("invalid_token") == true, "\(revoked.status) \(revoked.headers)")
        #expect(!s.keyward.stderr.contains(key) && !s.keyward.stdout.contains(key) && !s.nginx.stderr.contains(key) && !s.keyward.stderr.contains(limited), "a key reached a log")
    }
}
