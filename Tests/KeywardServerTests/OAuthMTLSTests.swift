import Crypto
import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// RFC 8705 mutual-TLS client authentication and certificate-bound tokens, over a real TLS
/// listener with client CAs (`--client-cert optional`, so a connection without a certificate
/// reaches the token endpoint), with curl `--cert/--key --cacert` as the client and a test PKI
/// made by openssl at test time. Each test names the security cases (docs/security-cases.md) it covers.
@Suite("OAuth mutual TLS (RFC 8705)", .serialized)
struct OAuthMTLSTests {
    /// A running TLS server and the PKI it trusts.
    struct Fixture {
        let pki: MutualTLSPKI
        let url: String
        let admin: String
        let identity: String

        /// curl's HTTP status (0 when the handshake failed) and body.
        func curl(_ path: String, cert: String? = nil, form: [String: String]? = nil, json: String? = nil, bearer: String? = nil,
                  headers: [String] = []) async throws -> (status: Int, body: [String: Any]) {
            var args = ["-s", "--max-time", "20", "-w", "\n%{http_code}", "--cacert", pki.ca]
            if let cert { args += ["--cert", pki.cert(cert), "--key", pki.key(cert)] }
            if let bearer { args += ["-H", "Authorization: Bearer \(bearer)"] }
            for h in headers { args += ["-H", h] }
            if let form { for (k, v) in form.sorted(by: { $0.key < $1.key }) { args += ["--data-urlencode", "\(k)=\(v)"] } }
            if let json { args += ["-H", "Content-Type: application/json", "--data-binary", json] }
            let r = try await ProcessRunner.run("/usr/bin/curl", args + [url + path])
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let status = Int(lines.last ?? "") ?? 0
            let body = lines.dropLast().joined(separator: "\n")
            return (status, (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:])
        }

        func register(_ members: [String: Any]) async throws -> (status: Int, body: [String: Any]) {
            var obj: [String: Any] = ["identity_id": identity, "scope": "payments:read"]
            obj.merge(members) { $1 }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
            return try await curl("/v1/clients", cert: "orders", json: json, bearer: admin)
        }

        func token(_ clientID: String, cert: String?, headers: [String] = []) async throws -> (status: Int, body: [String: Any]) {
            try await curl("/oauth/token", cert: cert, form: ["grant_type": "client_credentials", "client_id": clientID], headers: headers)
        }
    }

    /// `configure` adjusts the server after the defaults (client CA `ca.pem`, certificates optional).
    static func withServer(clock: ManualClock? = nil, configure: (inout ServerConfiguration, MutualTLSPKI) -> Void = { _, _ in },
                           _ body: (Fixture) async throws -> Void) async throws {
        let pki = try await MutualTLSPKI.make()
        defer { pki.dir.remove() }
        let ext = "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:orders.example.test\n"
        try await pki.issue("orders", subject: "/C=US/O=Example Corp/CN=orders-service", extensions: ext)
        try await pki.issue("billing", subject: "/C=US/O=Example Corp/CN=billing-service", extensions: "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:billing.example.test\n")
        try await TestServer.with(clock: clock, configure: { c in
            c.tlsCertificateFile = pki.serverCert
            c.tlsKeyFile = pki.serverKey
            c.clientCAFile = pki.ca
            c.clientCertificateRequired = false
            configure(&c, pki)
        }) { server in
            let url = server.baseURL.replacingOccurrences(of: "http://", with: "https://")
            var f = Fixture(pki: pki, url: url, admin: server.adminKey, identity: "")
            let idn = try await f.curl("/v1/identities", cert: "orders", json: """
                {"name":"orders","kind":"service","environment":"production","allowed_scopes":["payments:read"],"business_owner":"payments","technical_owner":"alice@example.com","purpose":"charges cards"}
                """, bearer: server.adminKey)
            f = Fixture(pki: pki, url: url, admin: server.adminKey, identity: try #require(idn.body["id"] as? String))
            try await body(f)
        }
    }

    /// The JWT's payload as JSON.
    static func claims(_ token: String) -> [String: Any] {
        let part = token.split(separator: ".").dropFirst().first.map(String.init) ?? ""
        var b64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        return Data(base64Encoded: b64).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }

    static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test("tls_client_auth: the registered subject DN (any RFC 4514 spelling) gets a token; no certificate, another subject or a certificate in a header get 401 invalid_client (cases 21, 23, 28)")
    func subjectDN() async throws {
        try await Self.withServer { f in
            // case 23: another attribute order (the certificate's own, as OpenSSL prints it) and case.
            let reg = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "c=us, O=EXAMPLE  CORP, cn=Orders-Service"])
            #expect(reg.status == 201, "\(reg.body)")
            let client = try #require(reg.body["client_id"] as? String)
            #expect(reg.body["tls_client_auth_subject_dn"] as? String == "c=us, O=EXAMPLE  CORP, cn=Orders-Service")
            let rfcOrder = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=orders-service,O=Example Corp,C=US"])
            let client2 = try #require(rfcOrder.body["client_id"] as? String)

            for id in [client, client2] {
                let ok = try await f.token(id, cert: "orders")
                #expect(ok.status == 200, "\(ok.body)")
                let token = try #require(ok.body["access_token"] as? String)
                #expect(ok.body["token_type"] as? String == "Bearer")
                #expect(Self.claims(token)["client_id"] as? String == id)
                #expect(Self.claims(token)["cnf"] == nil)
                // RFC 7009 with the same client authentication: the client revokes its token.
                let revoke = try await f.curl("/oauth/revoke", cert: "orders", form: ["client_id": id, "token": token])
                #expect(revoke.status == 200)
                let after = try await f.curl("/v1/keys/verify", cert: "orders", json: #"{"key":"\#(token)"}"#, bearer: f.admin).body
                #expect(after["reason"] as? String == "revoked")
            }
            // case 21: no certificate on the connection.
            let none = try await f.token(client, cert: nil)
            #expect(none.status == 401)
            #expect(none.body["error"] as? String == "invalid_client")
            // case 28: the right certificate in proxy headers, none on the connection: ignored.
            let pem = try String(contentsOfFile: f.pki.cert("orders"), encoding: .utf8)
            let escaped = pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let forged = try await f.token(client, cert: nil, headers: ["X-Client-Cert: \(escaped)", "X-Forwarded-Client-Cert: Cert=\"\(escaped)\"",
                                                                        "X-SSL-Client-Cert: \(escaped)"])
            #expect(forged.status == 401)
            #expect(forged.body["error"] as? String == "invalid_client")
            // ... and beside another certificate on the connection: the connection's counts.
            let billingWithHeader = try await f.token(client, cert: "billing", headers: ["X-Client-Cert: \(escaped)"])
            #expect(billingWithHeader.status == 401)
            // Another subject from the same CA.
            let other = try await f.token(client, cert: "billing")
            #expect(other.status == 401)
            #expect(other.body["error"] as? String == "invalid_client")
            // An attribute value that differs in more than case or spaces does not match.
            let near = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=orders-service,O=Example Corp2,C=US"])
            #expect(try await f.token(try #require(near.body["client_id"] as? String), cert: "orders").status == 401)
        }
    }

    @Test("tls_client_auth by SAN: exact DNS name, any case; a wildcard SAN or a SAN with an embedded NUL never matches (case 23); registration refuses both names, none, a wildcard, a bad DN and self-signed (case 24)")
    func sanDNS() async throws {
        try await Self.withServer { f in
            // dNSName "orders.example.test\0.evil.test", DER by hand: openssl writes it as given.
            let nulName = Array("orders.example.test".utf8) + [0] + Array(".evil.test".utf8)
            let san = [0x30, UInt8(nulName.count + 2), 0x82, UInt8(nulName.count)] + nulName
            try await f.pki.issue("nul", subject: "/CN=orders-service", extensions: "extendedKeyUsage=clientAuth\nsubjectAltName=DER:\(san.map { String(format: "%02x", $0) }.joined())\n")
            try await f.pki.issue("wild", subject: "/CN=orders-service", extensions: "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:*.example.test\n")

            let reg = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_dns": "ORDERS.Example.test"])
            #expect(reg.status == 201, "\(reg.body)")
            let client = try #require(reg.body["client_id"] as? String)
            #expect(try await f.token(client, cert: "orders").status == 200)
            for cert in ["nul", "wild", "billing"] {
                let r = try await f.token(client, cert: cert)
                #expect(r.status == 401, "\(cert)")
                #expect(r.body["error"] as? String == "invalid_client", "\(cert)")
            }

            let refused: [[String: Any]] = [
                ["tls_client_auth_subject_dn": "CN=orders-service", "tls_client_auth_san_dns": "orders.example.test"],   // case 24
                [:],
                ["tls_client_auth_san_dns": "*.example.test"],
                ["tls_client_auth_san_dns": "orders.example.test\u{0}.evil"],
                ["tls_client_auth_subject_dn": "CN"],
                ["tls_client_auth_subject_dn": "XX=orders"],
                ["tls_client_auth_subject_dn": "CN=orders\\00x"],
            ]
            for members in refused {
                var m = members
                m["token_endpoint_auth_method"] = "tls_client_auth"
                let r = try await f.register(m)
                #expect(r.status == 422, "\(members): \(r.body)")
            }
            // Without --self-signed-client-certs: no self_signed_tls_client_auth client.
            let selfSigned = try await f.register(["token_endpoint_auth_method": "self_signed_tls_client_auth", "tls_client_auth_san_dns": "orders.example.test"])
            #expect(selfSigned.status == 422)
            #expect((selfSigned.body["detail"] as? String ?? "").contains("--self-signed-client-certs"))
        }
    }

    @Test("certificate-bound tokens: cnf.x5t#S256 is the SHA-256 of the certificate; verify refuses the token without it or with another (case 27); a private_key_jwt client bound to certificates gets 400 without one")
    func boundTokens() async throws {
        try await Self.withServer { f in
            let reg = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_dns": "orders.example.test",
                                            "tls_client_certificate_bound_access_tokens": true])
            let client = try #require(reg.body["client_id"] as? String)
            let ok = try await f.token(client, cert: "orders")
            #expect(ok.status == 200, "\(ok.body)")
            let token = try #require(ok.body["access_token"] as? String)
            let thumbprint = Self.base64url(SHA256.hash(data: try f.pki.der("orders")))
            #expect((Self.claims(token)["cnf"] as? [String: Any])?["x5t#S256"] as? String == thumbprint)
            #expect(ok.body["token_type"] as? String == "Bearer")

            func verify(_ source: String?) async throws -> [String: Any] {
                let src = source.map { #","source":{"client_cert_thumbprint":"\#($0)"}"# } ?? ""
                return try await f.curl("/v1/keys/verify", cert: "orders", json: #"{"key":"\#(token)"\#(src)}"#, bearer: f.admin).body
            }
            #expect(try await verify(thumbprint)["valid"] as? Bool == true)
            // case 27: presented over a connection with no certificate, or another one.
            for presented in [nil, Self.base64url(SHA256.hash(data: try f.pki.der("billing")))] {
                let r = try await verify(presented)
                #expect(r["valid"] as? Bool == false)
                #expect(r["reason"] as? String == "binding_mismatch")
            }
            let intro = try await f.curl("/oauth/introspect", cert: "orders", form: ["token": token], bearer: f.admin)
            #expect((intro.body["cnf"] as? [String: Any])?["x5t#S256"] as? String == thumbprint)

            // Both bindings at once are refused at registration.
            let both = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_dns": "orders.example.test",
                                             "tls_client_certificate_bound_access_tokens": true, "dpop_bound_access_tokens": true])
            #expect(both.status == 422)

            // A private_key_jwt client whose tokens are certificate-bound: no certificate, no token (400 invalid_request).
            let key = P256.Signing.PrivateKey()
            let raw = key.publicKey.rawRepresentation
            let jwk = #"{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k1","use":"sig","x":"\#(Self.base64url(raw.prefix(32)))","y":"\#(Self.base64url(raw.suffix(32)))"}"#
            let pkj = try await f.register(["token_endpoint_auth_method": "private_key_jwt", "tls_client_certificate_bound_access_tokens": true,
                                            "jwks": try JSONSerialization.jsonObject(with: Data(#"{"keys":[\#(jwk)]}"#.utf8))])
            let pkjID = try #require(pkj.body["client_id"] as? String, "\(pkj.body)")
            func assertion() throws -> String {
                let now = Int(Date().timeIntervalSince1970)
                let header = Self.base64url(Data(#"{"alg":"ES256","typ":"JWT","kid":"k1"}"#.utf8))
                let claims = Self.base64url(Data(#"{"iss":"\#(pkjID)","sub":"\#(pkjID)","aud":"\#(f.url)/oauth/token","iat":\#(now),"exp":\#(now + 60),"jti":"\#(UUID().uuidString)"}"#.utf8))
                let sig = try key.signature(for: Data("\(header).\(claims)".utf8)).rawRepresentation
                return "\(header).\(claims).\(Self.base64url(sig))"
            }
            func pkjToken(cert: String?) async throws -> (status: Int, body: [String: Any]) {
                try await f.curl("/oauth/token", cert: cert, form: ["grant_type": "client_credentials", "client_assertion": try assertion(),
                                                                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"])
            }
            let noCert = try await pkjToken(cert: nil)
            #expect(noCert.status == 400, "\(noCert.body)")
            #expect(noCert.body["error"] as? String == "invalid_request")
            let withCert = try await pkjToken(cert: "billing")
            #expect(withCert.status == 200, "\(withCert.body)")
            let billingThumbprint = Self.base64url(SHA256.hash(data: try f.pki.der("billing")))
            #expect((Self.claims(withCert.body["access_token"] as? String ?? "")["cnf"] as? [String: Any])?["x5t#S256"] as? String == billingThumbprint)
        }
    }

    @Test("metadata with client CAs: tls_client_auth, certificate-bound tokens and mtls_endpoint_aliases")
    func metadata() async throws {
        try await Self.withServer { f in
            let m = try await f.curl("/.well-known/oauth-authorization-server").body
            #expect(m["tls_client_certificate_bound_access_tokens"] as? Bool == true)
            #expect((m["token_endpoint_auth_methods_supported"] as? [String])?.contains("tls_client_auth") == true)
            let aliases = try #require(m["mtls_endpoint_aliases"] as? [String: String])
            #expect(aliases["token_endpoint"] == f.url + "/oauth/token")
            #expect(aliases["introspection_endpoint"] == f.url + "/oauth/introspect")
            #expect(aliases["revocation_endpoint"] == f.url + "/oauth/revoke")
        }
    }

    @Test("case 26: expired, not-yet-valid, serverAuth-only and (by default) self-signed certificates get no token (refused at the handshake); one without an extended key usage gets 401 invalid_client")
    func unusableCertificates() async throws {
        try await Self.withServer { f in
            let ext = "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:orders.example.test\n"
            try await f.pki.issue("expired", subject: "/CN=orders-service", extensions: ext, dates: ("20200101000000Z", "20210101000000Z"))
            try await f.pki.issue("future", subject: "/CN=orders-service", extensions: ext, dates: ("20990101000000Z", "21000101000000Z"))
            try await f.pki.issue("server-only", subject: "/CN=orders-service", extensions: "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:orders.example.test\n")
            try await f.pki.issue("no-eku", subject: "/CN=orders-service", extensions: "subjectAltName=DNS:orders.example.test\n")
            // Without --self-signed-client-certs a self-signed certificate, whatever its names, is refused at the handshake.
            try await f.pki.selfSigned("self-signed", subject: "/C=US/O=Example Corp/CN=orders-service", extensions: ext)
            let reg = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_dns": "orders.example.test"])
            let client = try #require(reg.body["client_id"] as? String)
            #expect(try await f.token(client, cert: "orders").status == 200)
            for cert in ["expired", "future", "server-only", "self-signed"] {
                #expect(try await f.token(client, cert: cert).status == 0, "\(cert)")
            }
            let noEKU = try await f.token(client, cert: "no-eku")
            #expect(noEKU.status == 401)
            #expect(noEKU.body["error"] as? String == "invalid_client")
        }
    }
}
