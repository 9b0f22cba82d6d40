import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// Issue 10 item 3: one unauthenticated client must not exhaust the server. A real server with
/// small timeouts and caps, and raw sockets playing idle, slow and greedy clients. Every wait is
/// for an event (end of stream, an answer) under a generous deadline; the deadline fails a
/// regression instead of hanging, and no duration is asserted.
@Suite("slow and greedy clients", .serialized)
struct SlowClientTests {
    /// A timeout that must not be the one that fires in a test.
    static let long = Duration.seconds(120)

    static func withServer(idle: Duration = long, head: Duration = long, body: Duration = long, total: Int = 8_192, perSource: Int = 1_024,
                           _ run: (TestServer) async throws -> Void) async throws {
        try await TestServer.with(configure: { c in
            c.connections.idleTimeout = idle
            c.connections.headTimeout = head
            c.connections.bodyTimeout = body
            c.connections.maxConnections = total
            c.connections.maxConnectionsPerSource = perSource
        }, run)
    }

    /// One sample from `/metrics`, fetched on a connection of its own from `source`.
    static func metric(_ s: TestServer, _ series: String, from source: String = "127.0.0.9") async throws -> Double? {
        let c = try RawHTTPConnection(baseURL: s.baseURL, source: source)
        try c.send(RawHTTPConnection.request("GET", "/metrics", token: nil, headers: ["Connection: close"]))
        let text = try await c.read().body
        return text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Verify answers 200 `valid:false` for it, on the fast path; no key needs issuing.
    static let unknownKey = "kw_live_unknown"

    static func verifyRequest(_ s: TestServer, key: String, version: String = "HTTP/1.1", headers: [String] = []) -> String {
        RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: #"{"key":"\#(key)"}"#, headers: headers)
            .replacingOccurrences(of: "HTTP/1.1\r\n", with: "\(version)\r\n")
    }

    @Test("an idle connection is closed after the idle timeout, before and after a request")
    func idleConnectionClosed() async throws {
        try await Self.withServer(idle: .seconds(1)) { s in
            let silent = try RawHTTPConnection(baseURL: s.baseURL)
            #expect(try await silent.isEndedByPeer())

            let served = try RawHTTPConnection(baseURL: s.baseURL)
            try served.send(RawHTTPConnection.request("GET", "/healthz", token: nil))
            #expect(try await served.read().status == 200)
            #expect(try await served.isEndedByPeer())
            #expect(try await Self.metric(s, #"keyward_http_connections_timed_out_total{phase="idle"}"#) ?? 0 >= 2)
        }
    }

    @Test("a head sent a byte at a time is closed after the head timeout, however steadily the bytes come")
    func slowHeadClosed() async throws {
        try await Self.withServer(head: .seconds(1)) { s in
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let head = Array(RawHTTPConnection.request("GET", "/healthz", token: nil, headers: ["X-Pad: " + String(repeating: "a", count: 4_000)]))
            var ended = false
            let deadline = ContinuousClock.now + .seconds(60)
            for byte in head where ContinuousClock.now < deadline {
                // Each wait is for the end of the connection; a byte follows when it does not come.
                do { try c.send(String(byte)) } catch { ended = true; break }
                if try await c.isEndedByPeer(timeout: .milliseconds(100)) { ended = true; break }
            }
            #expect(ended)
            #expect(try await Self.metric(s, #"keyward_http_connections_timed_out_total{phase="head"}"#) == 1)
        }
    }

    @Test("a body that stops arriving is closed after the body timeout, on the router and on the verify fast path")
    func stalledBodyClosed() async throws {
        try await Self.withServer(body: .seconds(1)) { s in
            for path in ["/v1/identities", "/v1/keys/verify"] {
                let c = try RawHTTPConnection(baseURL: s.baseURL)
                let head = RawHTTPConnection.request("POST", path, token: s.adminKey, headers: ["Content-Type: application/json", "Content-Length: 500"])
                try c.send(head + #"{"name":"#)
                #expect(try await c.isEndedByPeer(), "\(path)")
            }
            #expect(try await Self.metric(s, #"keyward_http_connections_timed_out_total{phase="body"}"#) == 2)
        }
    }

    @Test("HTTP/1.0 without keep-alive and Connection: close end the connection after the answer, on the router and on the verify fast path")
    func closeAfterAnswer() async throws {
        try await Self.withServer { s in
            let key = Self.unknownKey

            let router = try RawHTTPConnection(baseURL: s.baseURL)
            try router.send("GET /healthz HTTP/1.0\r\n\r\n")
            let health = try await router.read()
            #expect(health.status == 200)
            #expect(health.headers["connection"] == "close")
            #expect(try await router.isEndedByPeer())

            let fast = try RawHTTPConnection(baseURL: s.baseURL)
            let served = s.runtime.fastPath.count
            try fast.send(Self.verifyRequest(s, key: key, version: "HTTP/1.0"))
            let verified = try await fast.read()
            #expect(verified.status == 200 && verified.body.contains(#""valid":false"#))
            #expect(verified.headers["connection"] == "close")
            #expect(try await fast.isEndedByPeer())
            // It was the fast path that answered (its counter moved before the answer left).
            #expect(s.runtime.fastPath.count == served + 1)

            // Any spelling of close, on HTTP/1.1.
            let spelled = try RawHTTPConnection(baseURL: s.baseURL)
            try spelled.send(RawHTTPConnection.request("GET", "/healthz", token: nil, headers: ["Connection: Close"]))
            #expect(try await spelled.read().status == 200)
            #expect(try await spelled.isEndedByPeer())
        }
    }

    @Test("keep-alive connections keep serving request after request, HTTP/1.1 and HTTP/1.0 with keep-alive")
    func keepAliveKeepsWorking() async throws {
        try await Self.withServer(head: .seconds(1), body: .seconds(1)) { s in
            let key = Self.unknownKey
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            for i in 0..<6 {
                try c.send(i.isMultiple(of: 2) ? RawHTTPConnection.request("GET", "/healthz", token: nil) : Self.verifyRequest(s, key: key))
                let r = try await c.read()
                #expect(r.status == 200)
                #expect(r.headers["connection"] == nil)
            }
            let old = try RawHTTPConnection(baseURL: s.baseURL)
            for i in 0..<4 {
                try old.send(i.isMultiple(of: 2) ? "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                                  : Self.verifyRequest(s, key: key, version: "HTTP/1.0", headers: ["Connection: keep-alive"]))
                let r = try await old.read()
                #expect(r.status == 200)
                #expect(r.headers["connection"] == "keep-alive")
            }
            #expect(try await Self.metric(s, #"keyward_http_connections_timed_out_total{phase="head"}"#) == 0)
            #expect(try await Self.metric(s, #"keyward_http_connections_timed_out_total{phase="body"}"#) == 0)
        }
    }

    @Test("a source at its connection cap is refused; other sources, and the source once a connection closes, are served")
    func perSourceCap() async throws {
        try await Self.withServer(perSource: 3) { s in
            var held: [RawHTTPConnection] = []
            for _ in 0..<3 {
                let c = try RawHTTPConnection(baseURL: s.baseURL)
                try c.send(RawHTTPConnection.request("GET", "/healthz", token: nil))
                #expect(try await c.read().status == 200)
                held.append(c)
            }
            let extra = try RawHTTPConnection(baseURL: s.baseURL)
            #expect(try await extra.isEndedByPeer())

            let other = try RawHTTPConnection(baseURL: s.baseURL, source: "127.0.0.2")
            try other.send(RawHTTPConnection.request("GET", "/healthz", token: nil))
            #expect(try await other.read().status == 200)
            #expect(try await Self.metric(s, "keyward_http_connections_open") == 5) // 3 held, the other source's, the metrics fetch

            held.removeFirst() // closes it; the server frees the slot when it sees the close
            // Bounded poll: when the server's event loop sees a client's close is not ours to trigger.
            let served = await eventually(timeout: .seconds(30)) {
                guard let c = try? RawHTTPConnection(baseURL: s.baseURL) else { return false }
                try? c.send(RawHTTPConnection.request("GET", "/healthz", token: nil))
                return (try? await c.read(timeout: .seconds(5)))?.status == 200
            }
            #expect(served != nil)
            #expect(try await Self.metric(s, #"keyward_http_connections_refused_total{cap="source"}"#) ?? 0 >= 1)
        }
    }

    @Test("the connection beyond the total cap is refused, whatever its source")
    func totalCap() async throws {
        try await Self.withServer(total: 2, perSource: 2) { s in
            var held: [RawHTTPConnection] = []
            for source in ["127.0.0.1", "127.0.0.2"] {
                let c = try RawHTTPConnection(baseURL: s.baseURL, source: source)
                try c.send(RawHTTPConnection.request("GET", "/healthz", token: nil))
                #expect(try await c.read().status == 200)
                held.append(c)
            }
            let extra = try RawHTTPConnection(baseURL: s.baseURL, source: "127.0.0.3")
            #expect(try await extra.isEndedByPeer())
            held.removeAll()
            // Bounded poll: the refusal is counted on the server's event loop, after the socket is closed.
            let refused = await eventually(timeout: .seconds(30)) {
                (try? await Self.metric(s, #"keyward_http_connections_refused_total{cap="total"}"#)) ?? 0 >= 1
            }
            #expect(refused != nil)
        }
    }

    @Test("the total cap stays below the open-file limit, and bad limits are refused at start")
    func limitsValidated() throws {
        var limits = ConnectionLimits()
        #expect(limits.effectiveMaxConnections(openFileLimit: nil) == limits.maxConnections)
        #expect(limits.effectiveMaxConnections(openFileLimit: 1_024) == 1_024 - ConnectionLimits.reservedDescriptors)
        limits.headTimeout = .zero
        #expect(throws: (any Error).self) { try limits.validate() }
        var config = ServerConfiguration()
        config.connections.maxConnectionsPerSource = 0
        #expect(throws: (any Error).self) { try config.validate() }
    }
}
