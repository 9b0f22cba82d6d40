import Crypto
import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// RFC 8705 with two client CAs and `--self-signed-client-certs`: the per-client CA pin
/// (§7.4, case 22) and `self_signed_tls_client_auth` (§2.2, case 25), over a real TLS listener
/// with curl `--cert/--key` as the client and openssl-made certificates.
@Suite("OAuth mutual TLS: CA pins and self-signed clients (RFC 8705 §2.2, §7.4)", .serialized)
struct OAuthSelfSignedMTLSTests {
    typealias Fixture = OAuthMTLSTests.Fixture

    static func withServer(clock: ManualClock? = nil, _ body: (Fixture) async throws -> Void) async throws {
        try await OAuthMTLSTests.withServer(clock: clock, configure: { c, pki in
            c.clientCAFile = pki.bothCAs
            c.selfSignedClientCertificates = true
        }, body)
    }

    static func sha256(_ der: [UInt8]) -> String { OAuthMTLSTests.base64url(SHA256.hash(data: der)) }

    /// A `jwks` member holding `name`'s certificate in `x5c` and the public key of `keyOf` (default: its own).
    static func jwks(_ f: Fixture, _ name: String, keyOf: String? = nil, x5c: [String]? = nil, withX5C: Bool = true) async throws -> Any {
        let pub = try await ProcessRunner.run("/usr/bin/openssl", ["x509", "-in", f.pki.cert(keyOf ?? name), "-pubkey", "-noout"])
        let raw = try P256.Signing.PublicKey(pemRepresentation: pub.stdout).rawRepresentation
        let certs = try x5c ?? [Data(try f.pki.der(name)).base64EncodedString()]
        var jwk: [String: Any] = ["kty": "EC", "crv": "P-256", "alg": "ES256", "x": OAuthMTLSTests.base64url(raw.prefix(32)),
                                  "y": OAuthMTLSTests.base64url(raw.suffix(32))]
        if withX5C { jwk["x5c"] = certs }
        return ["keys": [jwk]]
    }

    @Test("case 22: with two client CAs a tls_client_auth client must pin its CA; the right subject from the other CA gets 401 invalid_client")
    func caPin() async throws {
        try await Self.withServer { f in
            let ext = "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:orders.example.test\n"
            try await f.pki.issue("orders-ca2", subject: "/C=US/O=Example Corp/CN=orders-service", extensions: ext, ca: "ca2")
            let dn = "CN=orders-service,O=Example Corp,C=US"
            let caPin = Self.sha256(try f.pki.der("ca")), ca2Pin = Self.sha256(try f.pki.der("ca2"))

            let unpinned = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": dn])
            #expect(unpinned.status == 422)
            #expect((unpinned.body["detail"] as? String ?? "").contains("tls_client_auth_ca_thumbprint is required"))
            let foreign = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": dn,
                                                "tls_client_auth_ca_thumbprint": Self.sha256(try f.pki.der("server"))])
            #expect(foreign.status == 422, "a pin must name a --client-ca certificate")
            let malformed = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": dn,
                                                  "tls_client_auth_ca_thumbprint": "not-a-thumbprint"])
            #expect(malformed.status == 422)

            for (pin, good, bad) in [(caPin, "orders", "orders-ca2"), (ca2Pin, "orders-ca2", "orders")] {
                let reg = try await f.register(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": dn,
                                                "tls_client_auth_ca_thumbprint": pin])
                #expect(reg.status == 201, "\(reg.body)")
                #expect(reg.body["tls_client_auth_ca_thumbprint"] as? String == pin)
                let client = try #require(reg.body["client_id"] as? String)
                #expect(try await f.token(client, cert: good).status == 200, "\(good)")
                let other = try await f.token(client, cert: bad)
                #expect(other.status == 401, "\(bad)")
                #expect(other.body["error"] as? String == "invalid_client")
            }
            let m = try await f.curl("/.well-known/oauth-authorization-server").body
            #expect(m["token_endpoint_auth_methods_supported"] as? [String] == ["private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"])
            #expect(m["tls_client_certificate_bound_access_tokens"] as? Bool == true)
        }
    }

    @Test("case 25: a registered self-signed certificate gets a token bound to it (cnf.x5t#S256); an unregistered one, a CA-issued one or none gets 401 invalid_client, and so does an assertion signed with its key")
    func selfSigned() async throws {
        try await Self.withServer { f in
            try await f.pki.selfSigned("device", subject: "/CN=device-1", extensions: "extendedKeyUsage=clientAuth\n")
            try await f.pki.selfSigned("stranger", subject: "/CN=device-1", extensions: "extendedKeyUsage=clientAuth\n")
            let reg = try await f.register(["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": try await Self.jwks(f, "device"),
                                            "tls_client_certificate_bound_access_tokens": true])
            #expect(reg.status == 201, "\(reg.body)")
            let client = try #require(reg.body["client_id"] as? String)
            let thumbprint = Self.sha256(try f.pki.der("device"))
            #expect((reg.body["keys"] as? [[String: Any]])?.first?["certificate_thumbprint"] as? String == thumbprint)

            let ok = try await f.token(client, cert: "device")
            #expect(ok.status == 200, "\(ok.body)")
            let token = try #require(ok.body["access_token"] as? String)
            #expect((OAuthMTLSTests.claims(token)["cnf"] as? [String: Any])?["x5t#S256"] as? String == thumbprint)
            let verified = try await f.curl("/v1/keys/verify", cert: "orders", json: #"{"key":"\#(token)","source":{"client_cert_thumbprint":"\#(thumbprint)"}}"#,
                                            bearer: f.admin)
            #expect(verified.body["valid"] as? Bool == true, "\(verified.body)")

            for cert in ["stranger", "orders", nil] {
                let r = try await f.token(client, cert: cert)
                #expect(r.status == 401, "\(cert ?? "none")")
                #expect(r.body["error"] as? String == "invalid_client")
            }
            // RFC 7591 §2: the registered method only; the certificate's key signs no client assertion.
            let keyPEM = try String(contentsOfFile: f.pki.key("device"), encoding: .utf8)
            let key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
            let now = Int(Date().timeIntervalSince1970)
            let header = OAuthMTLSTests.base64url(Data(#"{"alg":"ES256","typ":"JWT"}"#.utf8))
            let claims = OAuthMTLSTests.base64url(Data(#"{"iss":"\#(client)","sub":"\#(client)","aud":"\#(f.url)/oauth/token","iat":\#(now),"exp":\#(now + 60),"jti":"\#(UUID().uuidString)"}"#.utf8))
            let sig = try key.signature(for: Data("\(header).\(claims)".utf8)).rawRepresentation
            let asserted = try await f.curl("/oauth/token", cert: "device", form: [
                "grant_type": "client_credentials", "client_assertion": "\(header).\(claims).\(OAuthMTLSTests.base64url(sig))",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"])
            #expect(asserted.status == 401)
            #expect(asserted.body["error"] as? String == "invalid_client")
        }
    }

    @Test("a self-signed certificate carrying a tls_client_auth client's subject DN and SAN does not authenticate it (401 invalid_client): tls_client_auth needs a CA-verified chain")
    func selfSignedNeverPassesForCAIssued() async throws {
        try await Self.withServer { f in
            let ext = "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:orders.example.test\n"
            try await f.pki.selfSigned("forged", subject: "/C=US/O=Example Corp/CN=orders-service", extensions: ext)
            let pin = Self.sha256(try f.pki.der("ca"))
            var clients: [String] = []
            for members in [["tls_client_auth_subject_dn": "CN=orders-service,O=Example Corp,C=US"], ["tls_client_auth_san_dns": "orders.example.test"]] {
                let reg = try await f.register(members.merging(["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_ca_thumbprint": pin]) { $1 })
                clients.append(try #require(reg.body["client_id"] as? String, "\(reg.body)"))
            }
            for client in clients {
                #expect(try await f.token(client, cert: "orders").status == 200)
                let forged = try await f.token(client, cert: "forged")
                #expect(forged.status == 401)
                #expect(forged.body["error"] as? String == "invalid_client")
            }
        }
    }

    @Test("self_signed_tls_client_auth registration: x5c must be one self-signed certificate holding the key, clientAuth if it has an EKU, valid now (422 otherwise); no EKU is accepted; an expired certificate gets 401 once its time passes")
    func registrationAndExpiry() async throws {
        let clock = ManualClock(Date())
        try await Self.withServer(clock: clock) { f in
            try await f.pki.selfSigned("device", subject: "/CN=device-1", extensions: "extendedKeyUsage=clientAuth\n")
            try await f.pki.selfSigned("plain", subject: "/CN=device-2", extensions: "")
            try await f.pki.selfSigned("server-only", subject: "/CN=device-3", extensions: "extendedKeyUsage=serverAuth\n")
            try await f.pki.selfSigned("expired", subject: "/CN=device-4", extensions: "", dates: ("20200101000000Z", "20210101000000Z"))
            let device = Data(try f.pki.der("device")).base64EncodedString()
            let refused: [(String, Any)] = [
                ("no x5c", try await Self.jwks(f, "device", withX5C: false)),
                ("CA-issued", try await Self.jwks(f, "orders")),
                ("another key", try await Self.jwks(f, "device", keyOf: "plain")),
                ("two certificates", try await Self.jwks(f, "device", x5c: [device, device])),
                ("serverAuth only", try await Self.jwks(f, "server-only")),
                ("expired", try await Self.jwks(f, "expired")),
            ]
            for (why, jwks) in refused {
                let r = try await f.register(["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": jwks])
                #expect(r.status == 422, "\(why): \(r.body)")
            }
            let noJWKS = try await f.register(["token_endpoint_auth_method": "self_signed_tls_client_auth"])
            #expect(noJWKS.status == 422)

            let plain = try await f.register(["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": try await Self.jwks(f, "plain")])
            let plainID = try #require(plain.body["client_id"] as? String, "\(plain.body)")
            #expect(try await f.token(plainID, cert: "plain").status == 200)

            let reg = try await f.register(["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": try await Self.jwks(f, "device")])
            let client = try #require(reg.body["client_id"] as? String)
            #expect(try await f.token(client, cert: "device").status == 200)
            clock.advance(by: 3 * 86_400)
            let expired = try await f.token(client, cert: "device")
            #expect(expired.status == 401)
            #expect(expired.body["error"] as? String == "invalid_client")
        }
    }

    @Test("keyward clients create --auth self_signed_tls_client_auth --cert registers the certificate; --cert with a private key exits 2 before sending; --auth tls_client_auth --ca-cert pins the CA")
    func cli() async throws {
        try await Self.withServer { f in
            try await f.pki.selfSigned("cli-device", subject: "/CN=cli-device", extensions: "extendedKeyUsage=clientAuth\n")
            let env = ["KEYWARD_ADDR": f.url, "KEYWARD_TOKEN": f.admin, "KEYWARD_CACERT": f.pki.ca]
            let base = ["clients", "create", "--identity", f.identity, "--scope", "payments:read"]
            let created = try await KeywardBinary.run(base + ["-q", "--auth", "self_signed_tls_client_auth", "--cert", f.pki.cert("cli-device")], env: env)
            #expect(created.status == 0, "\(created.stderr)")
            let client = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await f.token(client, cert: "cli-device").status == 200)

            let key = try await KeywardBinary.run(base + ["--auth", "self_signed_tls_client_auth", "--cert", f.pki.key("cli-device")], env: env)
            #expect(key.status == 2)
            #expect(key.stderr.contains("holds a private key") && key.stderr.contains("Nothing was sent"))
            #expect(!key.stderr.contains(String(try String(contentsOfFile: f.pki.key("cli-device"), encoding: .utf8).split(separator: "\n")[1])))

            let pinned = try await KeywardBinary.run(base + ["--auth", "tls_client_auth", "--san-dns", "orders.example.test", "--ca-cert", f.pki.ca, "--json"], env: env)
            #expect(pinned.status == 0, "\(pinned.stderr)")
            #expect(pinned.stdout.contains(Self.sha256(try f.pki.der("ca"))))
            let mixed = try await KeywardBinary.run(base + ["--auth", "tls_client_auth", "--san-dns", "orders.example.test", "--cert", f.pki.cert("cli-device")], env: env)
            #expect(mixed.status == 2)
        }
    }
}
