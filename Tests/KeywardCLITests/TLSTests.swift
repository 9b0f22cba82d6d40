import Foundation
import KeywardTesting
import Testing

/// `keyward serve --tls-cert --tls-key [--client-ca]` with certificates made by openssl in a temp
/// folder, exercised by curl and by the `keyward` CLI itself (real handshakes over a socket).
@Suite("TLS and mutual TLS", .serialized)
struct TLSTests {
    /// A CA, a server certificate for 127.0.0.1, a client certificate from the CA, and a
    /// self-signed "rogue" client certificate the server must refuse.
    struct PKI {
        let dir: TempDirectory
        var ca: String { dir.file("ca.pem") }
        var serverCert: String { dir.file("server.pem") }
        var serverKey: String { dir.file("server.key") }
        var clientCert: String { dir.file("client.pem") }
        var clientKey: String { dir.file("client.key") }
        var rogueCert: String { dir.file("rogue.pem") }
        var rogueKey: String { dir.file("rogue.key") }

        static func make() async throws -> PKI {
            let dir = try TempDirectory("keyward-pki")
            func openssl(_ args: [String]) async throws {
                let r = try await ProcessRunner.run("/usr/bin/openssl", args, currentDirectory: dir.path)
                guard r.status == 0 else { throw POSIXError(.EIO) }
            }
            let ext = dir.file("server.ext")
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n".write(toFile: ext, atomically: true, encoding: .utf8)
            let clientExt = dir.file("client.ext")
            try "extendedKeyUsage=clientAuth\n".write(toFile: clientExt, atomically: true, encoding: .utf8)
            try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-subj", "/CN=Keyward Test CA", "-keyout", "ca.key", "-out", "ca.pem"])
            for (name, cn, extFile) in [("server", "127.0.0.1", ext), ("client", "orders-service", clientExt)] {
                try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(cn)",
                             "-keyout", "\(name).key", "-out", "\(name).csr"])
                try await openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                             "-days", "2", "-extfile", extFile, "-out", "\(name).pem"])
            }
            try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-subj", "/CN=orders-service", "-keyout", "rogue.key", "-out", "rogue.pem"])
            return PKI(dir: dir)
        }
    }

    /// curl's exit status and the HTTP status it saw (0 when the handshake failed).
    static func curl(_ url: String, _ extra: [String] = []) async throws -> (exit: Int32, status: Int) {
        let r = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"] + extra + [url])
        return (r.status, Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    }

    @Test("HTTPS: curl and the CLI connect with the CA; plain HTTP and an untrusted client get nothing")
    func https() async throws {
        let pki = try await PKI.make()
        defer { pki.dir.remove() }
        let (server, url, admin) = try await KeywardBinary.serve(dataDirectory: pki.dir.file("data"),
                                                                  extraArgs: ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey])
        defer { server.stop() }
        #expect(url.hasPrefix("https://127.0.0.1:"))
        let token = try #require(admin)

        #expect(try await Self.curl(url + "/healthz", ["--cacert", pki.ca]).status == 200)
        // Without the CA, curl refuses the server's certificate; plain HTTP gets no HTTP answer.
        #expect(try await Self.curl(url + "/healthz").status == 0)
        #expect(try await Self.curl(url.replacingOccurrences(of: "https://", with: "http://") + "/healthz").status == 0)

        // The console under TLS: its cookies are Secure and __Host- prefixed (this host only, path /).
        let jar = pki.dir.file("cookies.txt")
        let form = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-i", "--cacert", pki.ca, "-c", jar, url + "/console/sign-in"])
        let signInCookie = try #require(form.stdout.components(separatedBy: "\r\n").first { $0.hasPrefix("Set-Cookie: __Host-keyward_signin=") })
        #expect(signInCookie.contains("; Secure") && signInCookie.contains("HttpOnly") && signInCookie.contains("SameSite=Strict") && signInCookie.contains("Path=/"))
        let csrf = try #require(form.stdout.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.output.1) })
        let signIn = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-i", "--cacert", pki.ca, "-b", jar, "-c", jar, "-H", "Origin: \(url)",
                                                                  "--data-urlencode", "csrf=\(csrf)", "--data-urlencode", "key@-", url + "/console/sign-in"],
                                                 stdin: token)
        #expect(signIn.stdout.hasPrefix("HTTP/1.1 303"), "\(signIn.stdout.prefix(300))")
        let session = try #require(signIn.stdout.components(separatedBy: "\r\n").first { $0.hasPrefix("Set-Cookie: __Host-keyward_session=") })
        #expect(session.contains("; Secure") && session.contains("HttpOnly") && session.contains("SameSite=Strict"))
        #expect(try await Self.curl(url + "/console/identities", ["--cacert", pki.ca, "-b", jar]).status == 200)
        #expect(try await Self.curl(url + "/console/identities", ["--cacert", pki.ca]).status == 303)

        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": token, "KEYWARD_CACERT": pki.ca]
        let list = try await KeywardBinary.run(["identities", "list"], env: env)
        #expect(list.status == 0, "\(list.stderr)")
        var untrusted = env
        untrusted["KEYWARD_CACERT"] = nil
        let refused = try await KeywardBinary.run(["identities", "list"], env: untrusted)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("TLS"))
        #expect(!refused.stderr.contains(token))
    }

    @Test("mutual TLS: a client certificate from the CA is admitted; none, or a self-signed one, is refused at the handshake")
    func mutualTLS() async throws {
        let pki = try await PKI.make()
        defer { pki.dir.remove() }
        let (server, url, admin) = try await KeywardBinary.serve(
            dataDirectory: pki.dir.file("data"),
            extraArgs: ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--client-ca", pki.ca])
        defer { server.stop() }
        let token = try #require(admin)

        #expect(try await Self.curl(url + "/healthz", ["--cacert", pki.ca, "--cert", pki.clientCert, "--key", pki.clientKey]).status == 200)
        #expect(try await Self.curl(url + "/healthz", ["--cacert", pki.ca]).status == 0)
        #expect(try await Self.curl(url + "/healthz", ["--cacert", pki.ca, "--cert", pki.rogueCert, "--key", pki.rogueKey]).status == 0)

        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": token, "KEYWARD_CACERT": pki.ca,
                   "KEYWARD_CLIENT_CERT": pki.clientCert, "KEYWARD_CLIENT_KEY": pki.clientKey]
        let ok = try await KeywardBinary.run(["identities", "list"], env: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        var noCert = env
        noCert["KEYWARD_CLIENT_CERT"] = nil
        noCert["KEYWARD_CLIENT_KEY"] = nil
        #expect(try await KeywardBinary.run(["identities", "list"], env: noCert).status == 2)
        var halfCert = env
        halfCert["KEYWARD_CLIENT_KEY"] = nil
        let half = try await KeywardBinary.run(["identities", "list"], env: halfCert)
        #expect(half.status == 2)
        #expect(half.stderr.contains("KEYWARD_CLIENT_CERT and KEYWARD_CLIENT_KEY go together"))
    }

    @Test("optional client certificates: none is admitted, a self-signed one is still refused")
    func optionalClientCertificate() async throws {
        let pki = try await PKI.make()
        defer { pki.dir.remove() }
        let (server, url, _) = try await KeywardBinary.serve(
            dataDirectory: pki.dir.file("data"),
            extraArgs: ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--client-ca", pki.ca, "--client-cert", "optional"])
        defer { server.stop() }
        #expect(try await Self.curl(url + "/healthz", ["--cacert", pki.ca]).status == 200)
        #expect(try await Self.curl(url + "/healthz", ["--cacert", pki.ca, "--cert", pki.clientCert, "--key", pki.clientKey]).status == 200)
        #expect(try await Self.curl(url + "/healthz", ["--cacert", pki.ca, "--cert", pki.rogueCert, "--key", pki.rogueKey]).status == 0)
    }

    @Test("bad TLS flags exit 2 with a message and create no store")
    func badFlags() async throws {
        let pki = try await PKI.make()
        defer { pki.dir.remove() }
        let data = pki.dir.file("never")
        let cases: [([String], String)] = [
            (["--tls-cert", pki.serverCert], "--tls-cert and --tls-key go together"),
            (["--client-ca", pki.ca], "--client-ca needs --tls-cert and --tls-key"),
            (["--tls-cert", pki.dir.file("missing.pem"), "--tls-key", pki.serverKey], "--tls-cert"),
            (["--tls-cert", pki.serverKey, "--tls-key", pki.serverKey], "--tls-cert"),
            (["--tls-cert", pki.serverCert, "--tls-key", pki.clientKey], "cannot be used together"),
            (["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--client-ca", pki.serverKey], "--client-ca"),
            (["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--client-ca", pki.ca, "--client-cert", "sometimes"], "--client-cert"),
        ]
        for (args, message) in cases {
            let r = try await KeywardBinary.run(["serve", "--data-dir", data, "--port", "0"] + args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("PRIVATE KEY"))
        }
        #expect(!FileManager.default.fileExists(atPath: data))
    }
}
