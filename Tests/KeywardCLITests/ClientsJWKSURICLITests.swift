import Foundation
import KeywardTesting
import Testing

/// `keyward clients create --jwks-uri` and `serve --jwks-allow`: the built binary against a served
/// instance and a JWKS served on loopback by Python (the key made by openssl here, never committed).
@Suite("keyward clients create --jwks-uri", .serialized)
struct ClientsJWKSURICLITests {
    /// Serves `{"keys":[<the PEM's public JWK, kid = its RFC 7638 thumbprint, alg ES256>]}` at /jwks.json on a free port.
    static let jwksServer = """
        import json, sys
        from http.server import BaseHTTPRequestHandler, HTTPServer
        from jwskate import Jwk
        jwk = dict(Jwk.from_pem(open(sys.argv[1], "rb").read()).public_jwk().with_kid_thumbprint())
        jwk["alg"] = "ES256"
        body = json.dumps({"keys": [jwk]}).encode()
        class H(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_GET(self):
                self.send_response(200 if self.path == "/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        s = HTTPServer(("127.0.0.1", 0), H)
        print("port", s.server_address[1], flush=True)
        s.serve_forever()
        """

    @Test("a client registered with --jwks-uri on a host KEYWARD_JWKS_ALLOW lists shows its jwks_uri and gets a token from requests-oauth2client; a host off --jwks-allow, both or neither of --jwks and --jwks-uri, and a bad --jwks-allow exit 2 with the reason")
    func jwksURI() async throws {
        let dir = try TempDirectory("keyward-clients-jwks-uri")
        defer { dir.remove() }
        let key = dir.file("client.key.pem")
        let gen = try await ProcessRunner.run("/usr/bin/openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        #expect(gen.status == 0, "openssl: \(gen.stderr)")
        try FileManager.default.createDirectory(atPath: dir.file("jwks-logs"), withIntermediateDirectories: true)
        let jwks = try BackgroundProcess("/usr/bin/env", ["python3", "-c", Self.jwksServer, key], logDirectory: dir.file("jwks-logs"))
        defer { _ = jwks.stop() }
        let portLine = try await jwks.waitForOutput { $0.contains("port ") }
        let port = try #require(portLine.split(separator: "\n").first { $0.hasPrefix("port ") }.map { String($0.dropFirst(5)) })

        let (server, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"),
                                                                 env: ["KEYWARD_JWKS_ALLOW": ".corp.example, 127.0.0.1"])
        defer { _ = server.stop() }
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin)]
        func kw(_ args: String...) async throws -> ProcessResult { try await KeywardBinary.run(args, env: env) }

        let idn = try await kw("identities", "create", "-q", "--name", "jwks-worker", "--kind", "service", "--environment", "production",
                               "--technical-owner", "alice@example.com", "--purpose", "charges cards", "--allowed-scope", "payments:read")
        let identity = idn.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let jwksURL = "http://127.0.0.1:\(port)/jwks.json"
        let created = try await kw("clients", "create", "-q", "--identity", identity, "--jwks-uri", jwksURL, "--scope", "payments:read")
        #expect(created.status == 0, "\(created.stderr)")
        let client = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try await kw("clients", "show", client)
        #expect(shown.stdout.contains("jwks_uri") && shown.stdout.contains(jwksURL) && shown.stdout.contains("ES256"), "\(shown.stdout)")

        let script = """
            import sys
            from jwskate import Jwk
            from requests_oauth2client import OAuth2Client, PrivateKeyJwt
            addr, client_id, key_file = sys.argv[1:4]
            key = Jwk.from_pem(open(key_file, "rb").read()).with_kid_thumbprint()
            oauth = OAuth2Client(token_endpoint=addr + "/oauth/token", auth=PrivateKeyJwt(client_id, key, alg="ES256"), testing=True)
            print(oauth.client_credentials(scope="payments:read").token_type)
            """
        let token = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, url, client, key])
        #expect(token.status == 0 && token.stdout.contains("Bearer"), "requests-oauth2client: \(token.stderr.suffix(1_500))")

        let offList = try await kw("clients", "create", "--identity", identity, "--jwks-uri", "http://localhost:\(port)/jwks.json", "--scope", "payments:read")
        #expect(offList.status == 2 && offList.stderr.contains("allow-list"), "\(offList.stderr)")
        let both = try await kw("clients", "create", "--identity", identity, "--jwks-uri", jwksURL, "--jwks", key, "--scope", "payments:read")
        #expect(both.status == 2 && both.stderr.contains("exactly one"), "\(both.stderr)")
        let neither = try await kw("clients", "create", "--identity", identity, "--scope", "payments:read")
        #expect(neither.status == 2 && neither.stderr.contains("exactly one"), "\(neither.stderr)")

        let badAllow = try await KeywardBinary.run(["serve", "--data-dir", dir.file("other"), "--port", "0", "--jwks-allow", "https://jwks.example.com"])
        #expect(badAllow.status == 2 && badAllow.stderr.contains("--jwks-allow"), "\(badAllow.stderr)")
    }
}
