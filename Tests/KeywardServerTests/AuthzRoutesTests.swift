import Foundation
import Synchronization
import KeywardServer
import KeywardTesting
import Testing

/// `/v1/authz` over a real socket: who may call it, which forwarded headers are believed, and
/// what each verify outcome becomes for a gateway. The NGINX end-to-end test is
/// `AuthzNginxTests` (KeywardCLITests).
@Suite("/v1/authz forward-auth routes")
struct AuthzRoutesTests {
    /// 127.0.0.1 is the gateway; 127.0.0.2 (also loopback) is a caller that is not.
    static func trusting(_ c: inout ServerConfiguration) {
        c.authz.trustedProxies = [AddressRange("127.0.0.1/32")!]
        c.authz.keyHeader = "X-API-Key"
        c.authz.routes = try! ["POST /v1/orders*=payments:write", "GET /v1/orders/*=payments:read", "* /admin*=payments:admin",
                               "GET /status="].map(AuthzRule.init(parsing:))
    }

    static func call(_ s: TestServer, method: String = "GET", path: String = "/v1/authz", source: String? = nil,
                     _ headers: [String]) async throws -> RawHTTPConnection.Response {
        let c = try RawHTTPConnection(baseURL: s.baseURL, source: source)
        try c.send(RawHTTPConnection.request(method, path, token: nil, headers: headers))
        let r = try await c.read()
        s.transcript.withLock { $0.append((false, r.raw)) }
        return r
    }

    @Test("403 problem+json naming --authz-trusted-proxy when no proxy is trusted (the default), and for a peer outside the trusted ranges whatever it forwards")
    func untrustedCallers() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let r = try await Self.call(s, ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /v1/orders/1", "X-Forwarded-For: 127.0.0.1"])
            #expect(r.status == 403 && r.body.contains("--authz-trusted-proxy"), "\(r.status) \(r.body)")
            #expect(r.headers["content-type"] == "application/problem+json")
        }
        try await TestServer.with(configure: Self.trusting) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let r = try await Self.call(s, source: "127.0.0.2", ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /status", "X-Forwarded-For: 127.0.0.1"])
            #expect(r.status == 403 && r.headers["x-keyward-identity"] == nil, "\(r.status) \(r.body)")
            let ok = try await Self.call(s, ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /status"])
            #expect(ok.status == 200)
        }
    }

    @Test("200 with X-Keyward-Identity, -Key and -Scopes; usage sees the rightmost X-Forwarded-For address no trusted proxy wrote, never a spoofed one to its left; the key is in no answer or log")
    func allowAndClientAddress() async throws {
        try await TestServer.with(configure: Self.trusting) { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            let r = try await Self.call(s, ["Authorization: Bearer \(key)", "X-Forwarded-Method: GET", "X-Forwarded-Uri: /v1/orders/7?expand=1",
                                            "X-Forwarded-For: 198.51.100.66, 203.0.113.7, 127.0.0.1", "User-Agent: orders-client/1.0"])
            #expect(r.status == 200, "\(r.status) \(r.body)")
            #expect(r.headers["x-keyward-identity"] == idn && r.headers["x-keyward-key"] == id && r.headers["x-keyward-scopes"] == "payments:read")
            #expect(r.headers["x-keyward-client"] == nil)
            // X-Real-IP when there is no X-Forwarded-For; the API-key header when Authorization has no bearer.
            let real = try await Self.call(s, ["Authorization: Basic dXNlcjpwYXNz", "X-API-Key: \(key)", "X-Forwarded-Uri: /status", "X-Real-IP: 192.0.2.44"])
            #expect(real.status == 200 && real.headers["x-keyward-key"] == id, "\(real.status) \(real.body)")
            await s.flushUsage()
            let radius = try await s.request("GET", "/v1/keys/\(id)/blast-radius")
            let ips = Set(((radius.json()["observed_consumers"] as? [[String: Any]]) ?? []).compactMap { $0["ip"] as? String })
            #expect(ips == ["203.0.113.7", "192.0.2.44"], "\(radius.text)")
            #expect(!r.raw.contains(key) && !real.raw.contains(key))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("forward-auth feeds the detectors: twenty guessed keys from one client address block it, and the gateway answers 403 source_blocked for it whatever it presents, while other addresses pass")
    func enumerationThroughTheGateway() async throws {
        try await TestServer.with(configure: Self.trusting) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            for i in 0..<20 {
                let r = try await Self.call(s, ["X-API-Key: kw_live_guess\(i)x\(String(repeating: "B", count: 30))", "X-Forwarded-Uri: /status",
                                                "X-Forwarded-For: 198.51.100.9"])
                #expect(r.status == 401)
            }
            let blocked = try await Self.call(s, ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /status", "X-Forwarded-For: 198.51.100.9"])
            #expect(blocked.status == 403 && blocked.headers["x-keyward-reason"] == "source_blocked", "\(blocked.status) \(blocked.body)")
            let other = try await Self.call(s, ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /status", "X-Forwarded-For: 203.0.113.7"])
            #expect(other.status == 200)
            await s.runtime.recordDetections()
            let list = try await s.request("GET", "/v1/detections?detector=enumeration").json()
            #expect(((list["items"] as? [[String: Any]]) ?? []).first?["source"] as? String == "198.51.100.9")
        }
    }

    @Test("401 with a Bearer challenge for a missing, unknown or revoked credential; 403 insufficient_scope by route rule, first match wins, paths compared decoded and resolved")
    func denials() async throws {
        try await TestServer.with(configure: Self.trusting) { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            let missing = try await Self.call(s, ["X-Forwarded-Uri: /v1/orders/1"])
            #expect(missing.status == 401 && missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true && missing.headers["x-keyward-reason"] == "missing")
            let unknown = try await Self.call(s, ["Authorization: Bearer kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T", "X-Forwarded-Uri: /v1/orders/1"])
            #expect(unknown.status == 401 && unknown.headers["www-authenticate"]?.contains("invalid_token") == true, "\(unknown.status) \(unknown.raw)")
            for (method, uri, status) in [("GET", "/v1/orders/1", 200), ("POST", "/v1/orders", 403), ("POST", "/v1/ordersX", 403), ("GET", "/v1/other", 200),
                                          ("DELETE", "/v1/orders/1", 200), ("GET", "/x/../admin/users", 403), ("GET", "/%61dmin", 403),
                                          ("GET", "//admin", 403), ("GET", "/status", 200)] {
                let r = try await Self.call(s, ["Authorization: Bearer \(key)", "X-Forwarded-Method: \(method)", "X-Forwarded-Uri: \(uri)"])
                #expect(r.status == status, "\(method) \(uri): \(r.status) \(r.body)")
                if status == 403 { #expect(r.headers["www-authenticate"]?.contains("insufficient_scope") == true && r.headers["x-keyward-reason"] == "insufficient_scope") }
            }
            _ = try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"test"}"#)
            let revoked = try await Self.call(s, ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /v1/orders/1"])
            #expect(revoked.status == 401 && revoked.headers["x-keyward-reason"] == "revoked", "\(revoked.status) \(revoked.raw)")
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("Envoy style: with no forwarded URI the original path follows /v1/authz and the method is the call's own")
    func envoyStyle() async throws {
        try await TestServer.with(configure: Self.trusting) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            let read = try await Self.call(s, method: "GET", path: "/v1/authz/v1/orders/9?x=1", ["Authorization: Bearer \(key)"])
            #expect(read.status == 200, "\(read.status) \(read.body)")
            let write = try await Self.call(s, method: "POST", path: "/v1/authz/v1/orders", ["Authorization: Bearer \(key)", "Content-Length: 0"])
            #expect(write.status == 403, "\(write.status) \(write.body)")
            let webdav = try await Self.call(s, method: "PROPFIND", path: "/v1/authz/admin", ["Authorization: Bearer \(key)"])
            #expect(webdav.status == 403, "\(webdav.status) \(webdav.body)")
        }
    }

    @Test("bad forwarded headers answer 400 problem+json naming the header, never a 5xx")
    func badHeaders() async throws {
        try await TestServer.with(configure: Self.trusting) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let auth = "Authorization: Bearer \(key)"
            let cases: [([String], String)] = [
                ([auth, "X-Forwarded-Uri: /a", "X-Forwarded-For: not-an-address"], "X-Forwarded-For"),
                ([auth, "X-Forwarded-Uri: /a", "X-Forwarded-For: 10.0.0.1, 999.1.1.1"], "X-Forwarded-For"),
                ([auth, "X-Forwarded-Uri: /a", "X-Real-IP: localhost"], "X-Real-IP"),
                ([auth, "X-Forwarded-Uri: /a", "X-Forwarded-Method: G(ET"], "X-Forwarded-Method"),
                ([auth, "X-Forwarded-Uri: relative/path"], "X-Forwarded-Uri"),
                ([auth, "X-Forwarded-Uri: /a%zz"], "X-Forwarded-Uri"),
                ([auth, "X-Forwarded-Uri: /a%00b"], "X-Forwarded-Uri"),
                ([auth, "X-Forwarded-Uri: /a%ff"], "X-Forwarded-Uri"),
                ([auth, "X-Forwarded-Uri: /a", "X-Forwarded-Proto: gopher"], "X-Forwarded-Proto"),
                ([auth, "X-Forwarded-Uri: /a", "X-Forwarded-Uri: /b"], "X-Forwarded-Uri"),
                ([auth, auth, "X-Forwarded-Uri: /a"], "Authorization"),
                ([auth], "X-Forwarded-Uri"),
            ]
            for (headers, named) in cases {
                let r = try await Self.call(s, headers)
                #expect(r.status == 400 && r.body.contains(named), "\(headers.dropFirst()): \(r.status) \(r.body)")
                #expect(!r.raw.contains(key))
            }
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("--authz-route rules: what parses, what is refused with the form")
    func ruleParsing() throws {
        let r = try AuthzRule(parsing: "post /v1/orders*=orders:write, orders:read")
        #expect(r.method == "POST" && r.path == "/v1/orders" && r.isPrefix && r.scopes.map(\.value) == ["orders:write", "orders:read"])
        #expect(try AuthzRule(parsing: "* /=").scopes.isEmpty)
        for bad in ["GET /a", "/a=x", "GET a=x", "GET /a/*/b=x", "GET /a/../b=x", "GET /a?x=1=s", "GET /a=not a scope", "G(T /a=x", "GET /%61=x"] {
            #expect(throws: (any Error).self, "\(bad)") { try AuthzRule(parsing: bad) }
        }
        #expect(AddressRange("10.0.0.0/8")?.contains("10.200.3.4") == true && AddressRange("10.0.0.0/8")?.contains("11.0.0.1") == false)
        #expect(AddressRange("::ffff:192.168.0.0/112") == nil || AddressRange("192.168.0.0/16")?.contains("::ffff:192.168.7.1") == true)
        #expect(AddressRange("2001:db8::/32")?.contains("2001:db8:1::5") == true && AddressRange("10.0.0.0/33") == nil && AddressRange("x/8") == nil)
    }
}
