import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// `/v1/authz` is answered on the event loop when it needs nothing but memory (`VerifyFastPath`
/// calls `AuthzRoutes.answerNow`). What that must not change: the gateway gets the router's
/// answer, byte for byte but for the request id and the rate-limit counters that moved.
@Suite("forward-auth fast path", .serialized)
struct AuthzFastPathTests {
    /// An answer's headers without those that differ between two calls by design (`Date` only
    /// when the second turned between them).
    static func comparable(_ r: RawHTTPConnection.Response) -> [String: String] {
        r.headers.filter { !["x-request-id", "connection", "ratelimit", "date"].contains($0.key) }
    }

    static func exchange(_ s: TestServer, _ c: RawHTTPConnection, _ method: String, _ path: String,
                         _ headers: [String]) async throws -> (RawHTTPConnection.Response, fast: Bool) {
        try await VerifyFastPathTests.servedFast(s) {
            try c.send(RawHTTPConnection.request(method, path, token: nil, headers: headers))
            return try await c.read()
        }
    }

    @Test("allow, missing, unknown, revoked and insufficient scope: the fast path's status, headers and body are the router's")
    func sameAnswersAsTheRouter() async throws {
        try await TestServer.with(configure: AuthzRoutesTests.trusting) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            let (revokedID, revoked) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            _ = try await s.request("POST", "/v1/keys/\(revokedID)/revoke", body: #"{"reason":"test"}"#)
            let cases: [(method: String, path: String, headers: [String], status: Int)] = [
                ("GET", "/v1/authz", ["Authorization: Bearer \(key)", "X-Forwarded-Method: GET", "X-Forwarded-Uri: /v1/orders/7"], 200),
                ("GET", "/v1/authz/v1/orders/7?expand=1", ["Authorization: Bearer \(key)"], 200),
                ("GET", "/v1/authz", ["X-Forwarded-Uri: /v1/orders/7"], 401),
                ("GET", "/v1/authz", ["Authorization: Bearer kw_live_\(String(repeating: "A", count: 40))", "X-Forwarded-Uri: /status"], 401),
                ("GET", "/v1/authz", ["Authorization: Bearer \(revoked)", "X-Forwarded-Uri: /status"], 401),
                ("POST", "/v1/authz", ["Authorization: Bearer \(key)", "X-Forwarded-Method: POST", "X-Forwarded-Uri: /v1/orders"], 403),
            ]
            let keepAlive = try RawHTTPConnection(baseURL: s.baseURL)
            for k in cases {
                let (fast, wasFast) = try await Self.exchange(s, keepAlive, k.method, k.path, k.headers)
                let closing = try RawHTTPConnection(baseURL: s.baseURL)
                let (routed, routedFast) = try await Self.exchange(s, closing, k.method, k.path, k.headers + ["Connection: close"])
                #expect(wasFast && !routedFast, "\(k.method) \(k.path)")
                #expect(fast.status == k.status && routed.status == k.status, "\(k.method) \(k.path): \(fast.status) \(routed.status)")
                #expect(Self.comparable(fast) == Self.comparable(routed), "\(k.method) \(k.path)")
                #expect(fast.body == routed.body)
                #expect(fast.headers["x-request-id"] != nil && fast.headers["date"] != nil)
                #expect(!fast.raw.contains(key) && !fast.raw.contains(revoked))
            }
        }
    }

    @Test("HEAD, a path with an empty segment or a trailing slash, and an untrusted peer stay with the router")
    func routerCases() async throws {
        try await TestServer.with(configure: AuthzRoutesTests.trusting) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let (head, headFast) = try await Self.exchange(s, c, "HEAD", "/v1/authz", ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /status"])
            #expect(head.status == 200 && !headFast && head.body.isEmpty)
            for path in ["/v1/authz//v1/orders/7", "/v1/authz/v1/orders/"] {
                let (r, fast) = try await Self.exchange(s, c, "GET", path, ["Authorization: Bearer \(key)"])
                #expect(!fast && r.status < 500, "\(path): \(r.status)")
            }
            let stranger = try RawHTTPConnection(baseURL: s.baseURL, source: "127.0.0.2")
            let (refused, refusedFast) = try await Self.exchange(s, stranger, "GET", "/v1/authz", ["Authorization: Bearer \(key)", "X-Forwarded-Uri: /status"])
            #expect(refused.status == 403 && !refusedFast && refused.headers["content-type"] == "application/problem+json")
            #expect(refused.body.contains("--authz-trusted-proxy"))
        }
    }
}
