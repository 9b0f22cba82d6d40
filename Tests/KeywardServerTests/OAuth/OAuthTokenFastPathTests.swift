import Crypto
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardServer
import KeywardTesting
import Testing

/// The token endpoint is answered from the channel pipeline when it can be (`TokenFastPath`);
/// these hold it to the router's answers: the same token shape, errors byte for byte (but for the
/// request id and the date), and everything odd still answered by the router.
@Suite("OAuth token fast path", .serialized)
struct OAuthTokenFastPathTests {
    struct Client {
        var id: String
        var key: P256.Signing.PrivateKey
    }

    /// An identity and a `private_key_jwt` client holding a fresh P-256 key, registered in process.
    static func register(_ s: TestServer, dpopBound: Bool = false, scope: String = "payments:read payments:write") async throws -> Client {
        let idn = try await s.createIdentity()
        let key = P256.Signing.PrivateKey()
        let raw = Array(key.publicKey.rawRepresentation)
        let jwk = #"{"kty":"EC","crv":"P-256","alg":"ES256","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}"#
        let client = try await s.runtime.governance.registerClient(NewClient(
            identityID: idn, name: "fast", authMethod: "private_key_jwt", jwksJSON: #"{"keys":[\#(jwk)]}"#, jwksURI: nil, tlsSubjectDN: nil,
            tlsSANDNS: nil, scope: scope, environment: nil, dpopBound: dpopBound, certificateBound: false,
            refusedMembers: []), actor: .system)
        return Client(id: client.id.description, key: key)
    }

    static func form(_ s: TestServer, _ client: Client, extra: String = "") throws -> String {
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
            + (try OAuthTokenResponseTests.assertion(client.key, client: client.id, audience: s.baseURL + "/oauth/token")) + extra
    }

    static func request(_ body: String, headers: [String] = []) -> String {
        (["POST /oauth/token HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-www-form-urlencoded", "Content-Length: \(body.utf8.count)"]
            + headers).joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    /// Sends `text` on `c` and reads one answer; `fast` says whether the fast path answered it.
    static func exchange(_ s: TestServer, _ c: RawHTTPConnection, _ text: String) async throws -> (RawHTTPConnection.Response, fast: Bool) {
        let before = s.runtime.fastPath.count
        try c.send(text)
        let r = try await c.read()
        return (r, s.runtime.fastPath.count - before == 1)
    }

    /// The router's answer to `body`: `Connection: close` always goes to the router.
    static func viaRouter(_ s: TestServer, _ body: String, headers: [String] = []) async throws -> RawHTTPConnection.Response {
        let c = try RawHTTPConnection(baseURL: s.baseURL)
        let (r, fast) = try await exchange(s, c, request(body, headers: headers + ["Connection: close"]))
        #expect(!fast, "Connection: close is the router's")
        return r
    }

    /// The raw answer with the request id's and the date's values blanked, and the router's
    /// `Connection: close` field (answering the request's own) dropped.
    static func normalized(_ r: RawHTTPConnection.Response) -> String {
        r.raw.components(separatedBy: "\r\n").compactMap { line -> String? in
            let lower = line.lowercased()
            if lower == "connection: close" { return nil }
            if lower.hasPrefix("x-request-id:") || lower.hasPrefix("date:") { return String(line.prefix { $0 != ":" }) + ": …" }
            return line
        }.joined(separator: "\r\n")
    }

    static func jsonObject(_ text: some StringProtocol) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("a token issued on the fast path has the router's shape: fields in order, body, the JWT's header and claims")
    func sameShape() async throws {
        try await TestServer.with { s in
            let client = try await Self.register(s)
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let (fast, wasFast) = try await Self.exchange(s, c, Self.request(try Self.form(s, client, extra: "&scope=payments%3Aread")))
            #expect(fast.status == 200 && wasFast, "an idle connection's token request is the fast path's")
            let routed = try await Self.viaRouter(s, try Self.form(s, client, extra: "&scope=payments%3Aread"))
            #expect(routed.status == 200)
            func fields(_ r: RawHTTPConnection.Response) -> [String] {
                Self.normalized(r).components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
                    .map { $0.lowercased().hasPrefix("content-length:") ? "content-length: …" : $0 }
            }
            #expect(fields(fast) == fields(routed))
            #expect(fast.headers["x-request-id"] != nil && fast.headers["x-request-id"] != routed.headers["x-request-id"])
            // The fast path writes the Date field itself, in the router's IMF-fixdate form.
            let imf = DateFormatter()
            imf.locale = Locale(identifier: "en_US_POSIX")
            imf.timeZone = TimeZone(identifier: "GMT")
            imf.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let fastDate = try #require(fast.headers["date"].flatMap(imf.date(from:))), routedDate = try #require(routed.headers["date"].flatMap(imf.date(from:)))
            #expect(abs(fastDate.timeIntervalSince(routedDate)) <= 5 && imf.string(from: fastDate) == fast.headers["date"])
            let a = try Self.jsonObject(fast.body), b = try Self.jsonObject(routed.body)
            #expect(Set(a.keys) == Set(b.keys))
            #expect(a["token_type"] as? String == "Bearer" && b["token_type"] as? String == "Bearer")
            #expect(a["scope"] as? String == "payments:read" && b["scope"] as? String == "payments:read")
            #expect(a["expires_in"] as? Int == b["expires_in"] as? Int)
            let ta = try #require(a["access_token"] as? String).split(separator: "."), tb = try #require(b["access_token"] as? String).split(separator: ".")
            #expect(ta.count == 3 && tb.count == 3)
            let ha = try Self.jsonObject(String(decoding: try #require(Base64URL.decode(String(ta[0]))), as: UTF8.self))
            let hb = try Self.jsonObject(String(decoding: try #require(Base64URL.decode(String(tb[0]))), as: UTF8.self))
            #expect(NSDictionary(dictionary: ha) == NSDictionary(dictionary: hb))
            let ca = try Self.jsonObject(String(decoding: try #require(Base64URL.decode(String(ta[1]))), as: UTF8.self))
            let cb = try Self.jsonObject(String(decoding: try #require(Base64URL.decode(String(tb[1]))), as: UTF8.self))
            #expect(Set(ca.keys) == Set(cb.keys))
            for claim in ["iss", "sub", "client_id", "aud", "scope"] { #expect(ca[claim] as? String == cb[claim] as? String, "\(claim)") }
            #expect(ca["jti"] as? String != cb["jti"] as? String)
            // Both are live tokens of this server.
            for token in [a["access_token"], b["access_token"]] {
                let r = try await s.request("POST", "/oauth/introspect", body: "token=\(token as? String ?? "")",
                                            headers: [("Content-Type", "application/x-www-form-urlencoded")])
                #expect(r.status == 200 && r.text.contains(#""active":true"#))
            }
        }
    }

    @Test("errors answered on the fast path are the router's byte for byte: RFC 6749 bodies, WWW-Authenticate, no-store, a replayed assertion")
    func sameErrors() async throws {
        try await TestServer.with { s in
            let client = try await Self.register(s)
            let bound = try await Self.register(s, dpopBound: true)
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            // Each body is sent twice, once to each path; a fresh assertion where one is needed.
            let cases: [(name: String, body: () throws -> String, headers: [String], status: Int)] = [
                ("unsupported grant", { "grant_type=password&username=a&password=b" }, [], 400),
                ("no grant_type", { "scope=payments%3Aread" }, [], 400),
                ("malformed form", { "grant_type=client_credentials&x=%zz" }, [], 400),
                ("garbage assertion", { "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=e30.e30.e30" }, [], 401),
                ("Basic beside nothing", { "grant_type=client_credentials" }, ["Authorization: Basic YTpi"], 401),
                ("scope not granted", { try Self.form(s, client, extra: "&scope=admin%3Aall") }, [], 400),
                ("DPoP-bound client without a proof", { try Self.form(s, bound) }, [], 400),
                ("a proof that is not a JWT", { try Self.form(s, client) }, ["DPoP: not-a-proof"], 400),
            ]
            for k in cases {
                let (fast, wasFast) = try await Self.exchange(s, c, Self.request(try k.body(), headers: k.headers))
                #expect(wasFast, "\(k.name): answered on the fast path")
                let routed = try await Self.viaRouter(s, try k.body(), headers: k.headers)
                #expect(fast.status == k.status, "\(k.name): \(fast.status)")
                #expect(Self.normalized(fast) == Self.normalized(routed), "\(k.name)")
                #expect(fast.headers["cache-control"] == "no-store", "\(k.name)")
            }
            // An assertion used once on the fast path is refused there and by the router alike.
            let once = try Self.form(s, client)
            let (first, _) = try await Self.exchange(s, c, Self.request(once))
            #expect(first.status == 200)
            let (again, againFast) = try await Self.exchange(s, c, Self.request(once))
            let routed = try await Self.viaRouter(s, once)
            #expect(again.status == 401 && againFast && again.body.contains("jti replay"))
            #expect(Self.normalized(again) == Self.normalized(routed))
            #expect(again.headers["www-authenticate"] == "Bearer error=\"invalid_client\"")
        }
    }

    @Test("with DPoP nonces required, the use_dpop_nonce answer (DPoP-Nonce, WWW-Authenticate) is the router's byte for byte")
    func sameNonceError() async throws {
        // A clock that stands still: the nonce's window cannot change between the two answers.
        try await TestServer.with(clock: ManualClock(Date()), configure: { $0.dpopNonceRequired = true }) { s in
            let client = try await Self.register(s)
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            func proof() throws -> String {
                try OAuthDPoPFastPathTests.proof(client.key, htm: "POST", htu: s.baseURL + "/oauth/token", token: nil)
            }
            let (fast, wasFast) = try await Self.exchange(s, c, Self.request(try Self.form(s, client), headers: ["DPoP: \(try proof())"]))
            let routed = try await Self.viaRouter(s, try Self.form(s, client), headers: ["DPoP: \(try proof())"])
            #expect(wasFast && fast.status == 400 && fast.body.contains("use_dpop_nonce"))
            #expect(fast.headers["dpop-nonce"] != nil && fast.headers["www-authenticate"] == "DPoP error=\"use_dpop_nonce\"")
            #expect(Self.normalized(fast) == Self.normalized(routed))
        }
    }

    @Test("handed to the router unchanged: an oversized chunked body (413); still the fast path's: a chunked body in pieces; pipelined requests answered in order")
    func handedOver() async throws {
        try await TestServer.with { s in
            let client = try await Self.register(s)
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let head = ["POST /oauth/token HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-www-form-urlencoded",
                        "Transfer-Encoding: chunked"].joined(separator: "\r\n") + "\r\n\r\n"
            func chunk(_ text: String) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }
            let big = try Self.form(s, client, extra: "&pad=" + String(repeating: "x", count: 70_000))
            let (tooBig, tooBigFast) = try await Self.exchange(s, c, head + chunk(String(big.prefix(40_000))) + chunk(String(big.dropFirst(40_000))) + "0\r\n\r\n")
            #expect(tooBig.status == 413 && !tooBigFast && tooBig.body.contains("invalid_request"))

            let body = try Self.form(s, client)
            let cut = body.index(body.startIndex, offsetBy: 100)
            let before = s.runtime.fastPath.count
            try c.send(head + chunk(String(body[..<cut])))
            // A round trip on another connection between the two parts, so the server usually reads them apart.
            #expect(try await s.anonymous("GET", "/healthz").status == 200)
            try c.send(chunk(String(body[cut...])) + "0\r\n\r\n")
            let pieces = try await c.read()
            #expect(pieces.status == 200 && pieces.body.contains("access_token"))
            #expect(s.runtime.fastPath.count - before == 1, "a body in pieces is still collected on the fast path")

            // A token, a verify, a refused token request, a token and a GET in one write: answered in
            // order, whichever path takes each (requests wait while a token is being issued).
            let (_, key) = try await s.issueKey(identity: try await s.createIdentity())
            try c.send(Self.request(try Self.form(s, client))
                       + RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: #"{"key":"\#(key)"}"#)
                       + Self.request("grant_type=password")
                       + Self.request(try Self.form(s, client, extra: "&scope=payments%3Awrite"))
                       + RawHTTPConnection.request("GET", "/healthz", token: nil))
            var answers: [RawHTTPConnection.Response] = []
            for _ in 0..<5 { answers.append(try await c.read()) }
            #expect(answers.map(\.status) == [200, 200, 400, 200, 200])
            #expect(answers[0].body.contains("access_token") && answers[1].body.contains(#""valid":true"#))
            #expect(answers[2].body.contains("unsupported_grant_type") && answers[3].body.contains(#""scope":"payments:write""#))
            let ids = answers.compactMap { $0.headers["x-request-id"] }
            #expect(Set(ids).count == 5)
        }
    }
}
