import Foundation
import KeywardCore
import KeywardServer
import KeywardTesting
import KeywardVerify
import NIOHTTP1
import Testing

/// Case 65 of docs/security-cases.md: three `keyward serve` nodes on one PostgreSQL share an
/// identity's limit through a real redis-server (started by the test on a free loopback port), and
/// the store's failure policy when Redis goes away.
@Suite("Rate limits across nodes: PostgreSQL and Redis (case 65)", .serialized)
struct RateLimitClusterTests {
    /// Verifies `key` on `node`; the reason or "valid" (nil for anything but a 200).
    static func verify(_ node: TestServer, _ key: String) async throws -> String? {
        let r = try await node.request("POST", "/v1/keys/verify", body: #"{"key":"\#(key)"}"#)
        guard r.status == 200 else { return nil }
        return r.json()["valid"] as? Bool == true ? "valid" : r.json()["reason"] as? String
    }

    // case 65 of docs/security-cases.md
    @Test("case 65: 200 concurrent requests for one identity across 3 nodes with a limit of 50 admit exactly 50 (tolerance 0: one atomic script decides)")
    func sharedAcrossNodes() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let url = try PostgresServer.instance().createDatabase()
        let shared: (inout ServerConfiguration) -> Void = { $0.rateLimitStoreURL = redis.url }
        try await TestServer.with(database: url, configure: shared) { a in
            try await TestServer.with(database: url, adminKey: a.adminKey, configure: shared) { b in
                try await TestServer.with(database: url, adminKey: a.adminKey, configure: shared) { c in
                    let idn = try await a.createIdentity(name: "shared-limit")
                    // 50 an hour: no request frees up a slot while the test runs, so "at most 50" is exact.
                    let set = try await a.request("PATCH", "/v1/identities/\(idn)", body: #"{"rate_limit":{"limit":50,"period_seconds":3600}}"#)
                    #expect(set.status == 200)
                    var keys: [String] = []
                    for _ in 0..<4 { keys.append(try await a.issueKey(identity: idn).key) }
                    // Every node must know the keys and the identity's limit before the burst (bounded poll:
                    // they arrive through PostgreSQL NOTIFY). Nothing is charged: a probe is an unknown key.
                    for node in [b, c] {
                        let seen = try await eventually {
                            node.runtime.index.identityLimit(IdentityID(idn)!) != nil
                                && node.runtime.index.counts().keys >= 5
                        }
                        #expect(seen != nil, "node \(node.baseURL) never saw the identity's limit")
                    }
                    let nodes = [a, b, c], issued = keys
                    let answers = try await withThrowingTaskGroup(of: String?.self) { group in
                        for i in 0..<200 { group.addTask { try await Self.verify(nodes[i % 3], issued[i % 4]) } }
                        var all: [String?] = []
                        for try await x in group { all.append(x) }
                        return all
                    }
                    let admitted = answers.filter { $0 == "valid" }.count
                    let limited = answers.filter { $0 == "rate_limited" }.count
                    print("case 65: 200 requests over 3 nodes, limit 50: \(admitted) admitted, \(limited) rate_limited (tolerance 0)")
                    #expect(admitted == 50, "admitted \(admitted)")
                    #expect(limited == 150)
                }
            }
        }
    }

    @Test("Redis down: fail open (default) falls back to the node's own limiter and counts it; fail closed answers 503 and never valid")
    func storeDown() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await TestServer.with(configure: { $0.rateLimitStoreURL = redis.url }) { open in
            try await TestServer.with(configure: { $0.rateLimitStoreURL = redis.url; $0.rateLimitFailOpen = false }) { closed in
                let keyOpen = try await open.issueKey(identity: try await open.createIdentity(), extra: ["rate_limit": ["limit": 2, "period_seconds": 3600]]).key
                let keyClosed = try await closed.issueKey(identity: try await closed.createIdentity()).key
                #expect(try await Self.verify(open, keyOpen) == "valid")
                #expect(try await Self.verify(closed, keyClosed) == "valid")
                redis.stop()
                // Open: this node's limiter decides alone (2 an hour for this key), so limits still hold.
                #expect(try await Self.verify(open, keyOpen) == "valid")
                #expect(try await Self.verify(open, keyOpen) == "valid")
                #expect(try await Self.verify(open, keyOpen) == "rate_limited")
                let metrics = try await open.anonymous("GET", "/metrics").text
                #expect(metrics.contains("keyward_ratelimit_store_errors_total{fallback=\"local\"} 3"), "\(metrics.split(separator: "\n").filter { $0.contains("ratelimit") })")
                #expect(open.logs.all.contains { $0.contains("rate-limit store unavailable") })
                // Closed: no answer rather than one the limits did not decide.
                let refused = try await closed.request("POST", "/v1/keys/verify", body: #"{"key":"\#(keyClosed)"}"#)
                #expect(refused.status == 503)
                #expect(refused.headers.first(name: "Retry-After") == "1")
                let mgmt = try await closed.request("GET", "/v1/identities")
                #expect(mgmt.status == 503, "Keyward's own routes follow the same policy")
                // Redis back on the same port: decisions are shared again.
                try await redis.restart()
                let back = try await eventually { try await Self.verify(closed, keyClosed) == "valid" }
                #expect(back != nil)
            }
        }
    }
}
