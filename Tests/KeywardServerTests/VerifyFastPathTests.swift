import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// Verify is answered on the event loop when it can be; these pin down what that must not
/// change: response order on a pipelined connection, a bearer revoked while its connection stays
/// open, bodies that arrive in pieces, `Connection: close`, and the router's answers for anything odd.
@Suite("verify fast path", .serialized)
struct VerifyFastPathTests {
    static let admin = "idn_00000000000000000000000000000000"

    /// Whether the fast path answered `exchange` itself: its counter (`KeywardRuntime.fastPath`)
    /// moved by one, counted before the answer leaves. Only this test's connection sends verifies.
    static func servedFast(_ s: TestServer, _ exchange: () async throws -> RawHTTPConnection.Response) async throws -> (RawHTTPConnection.Response, fast: Bool) {
        let before = s.runtime.fastPath.count
        let r = try await exchange()
        let moved = s.runtime.fastPath.count - before
        #expect(moved <= 1)
        return (r, moved == 1)
    }

    @Test("pipelined requests are answered in order, whichever path serves each")
    func pipelinedOrder() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let verify = #"{"key":"\#(key)"}"#
            try c.send(
                RawHTTPConnection.request("GET", "/healthz", token: nil)
                + RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: verify)
                + RawHTTPConnection.request("POST", "/v1/keys/verify", token: "kw_live_wrong", body: verify)
                + RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: #"{"key":"kw_live_short"}"#)
                + RawHTTPConnection.request("GET", "/v1/identities/\(idn)", token: s.adminKey)
                + RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: verify)
            )
            let before = s.runtime.fastPath.count
            let r = try await (0..<6).asyncMap { _ in try await c.read() }
            #expect(r.map(\.status) == [200, 200, 401, 200, 200, 200])
            // Which verifies the fast path takes depends on whether the router still holds a request of
            // this connection when each arrives; it never takes the two GETs or the refused bearer.
            #expect(s.runtime.fastPath.count - before <= 3)
            #expect(r[1].body.contains(#""valid":true"#))
            #expect(r[2].headers["content-type"] == "application/problem+json")
            #expect(r[3].body.contains(#""reason":"malformed""#))
            #expect(r[4].body.contains(idn))
            #expect(r[5].body.contains(#""valid":true"#))
            #expect(r.allSatisfy { $0.headers["x-request-id"] != nil })
        }
    }

    @Test("a verify bearer revoked while its connection stays open is refused on that connection")
    func revokedBearerOnOpenConnection() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let (bearerID, bearer) = try await s.issueKey(identity: Self.admin, scopes: ["keyward:verify"])
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let verify = RawHTTPConnection.request("POST", "/v1/keys/verify", token: bearer, body: #"{"key":"\#(key)"}"#)
            for _ in 0..<3 {
                let (r, fast) = try await Self.servedFast(s) { try c.send(verify); return try await c.read() }
                #expect(r.status == 200)
                #expect(fast, "an idle connection's verify is the fast path's")
            }
            let revoke = try await s.request("POST", "/v1/keys/\(bearerID)/revoke", body: #"{"reason":"rotated out"}"#)
            #expect(revoke.status == 200)
            let (after, fast) = try await Self.servedFast(s) { try c.send(verify); return try await c.read() }
            #expect(after.status == 401)
            #expect(!fast, "a refused bearer is the router's to answer")
            #expect(!after.body.contains(bearer) && !after.body.contains(key))
        }
    }

    @Test("a body sent in pieces, Connection: close, a wrong content type and an oversized body")
    func oddDeliveries() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let body = #"{"key":"\#(key)","scopes":["payments:read"]}"#
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let whole = RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: body)
            let cut = whole.index(whole.endIndex, offsetBy: -20)
            let (pieces, fast) = try await Self.servedFast(s) {
                try c.send(String(whole[..<cut]))
                // A round trip on another connection between the two parts, so the server usually reads them
                // apart (on loopback each send is its own segment); the answer must be the same either way.
                #expect(try await s.anonymous("GET", "/healthz").status == 200)
                try c.send(String(whole[cut...]))
                return try await c.read()
            }
            #expect(pieces.body.contains(#""valid":true"#))
            #expect(fast, "a body in pieces is still collected on the fast path")

            let (wrongType, wrongTypeFast) = try await Self.servedFast(s) {
                try c.send(RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: body, headers: ["Content-Type: text/plain"])
                    .replacingOccurrences(of: "Content-Type: application/json\r\n", with: ""))
                return try await c.read()
            }
            #expect(wrongType.status == 400)
            #expect(!wrongTypeFast, "anything odd goes to the router")

            let big = #"{"key":"\#(key)","pad":""# + String(repeating: "x", count: 70_000) + #""}"#
            let (tooBig, tooBigFast) = try await Self.servedFast(s) {
                try c.send(RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: big))
                return try await c.read()
            }
            #expect(tooBig.status == 413 && !tooBigFast)

            // A body the fast path's own codec does not decode (a JSON escape in the key) is handed on,
            // and the router answers it just the same.
            let escaped = #"{"key":"\#(key.replacingOccurrences(of: "_", with: "\\u005f"))"}"#
            let (decodedElsewhere, escapedFast) = try await Self.servedFast(s) {
                try c.send(RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: escaped))
                return try await c.read()
            }
            #expect(decodedElsewhere.status == 200 && decodedElsewhere.body.contains(#""valid":true"#))
            #expect(!escapedFast, "a body the hand-written codec does not take is the router's")

            let closing = try RawHTTPConnection(baseURL: s.baseURL)
            let (closed, closedFast) = try await Self.servedFast(s) {
                try closing.send(RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: body, headers: ["Connection: close"]))
                return try await closing.read()
            }
            #expect(closed.status == 200 && !closedFast, "Connection: close is the router's")
            #expect(try await closing.isClosedByPeer())
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}
