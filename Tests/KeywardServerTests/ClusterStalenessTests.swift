import Foundation
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import KeywardVerify
import NIOHTTP1
import Testing

/// case 52 of docs/security-cases.md (issue 10 item 2): a node that lost its change feed must stop vouching
/// for keys once its index is staler than the bound, say so on `/readyz` and `/metrics`, and
/// reload every key before it vouches again.
@Suite("cluster staleness", .serialized)
struct ClusterStalenessTests {
    @Test("case 52: node B cut off from the change feed answers 503 (never valid:true) for a key revoked on A, then resyncs and answers revoked")
    func lostFeedStopsVouching() async throws {
        let pg = try PostgresServer.instance()
        let url = try pg.createDatabase()
        let db = try pg.superuserSQL("SELECT current_database()", in: url)
        // ALTER DATABASE runs from the maintenance database: the test database will refuse connections.
        let maintenance = url.replacingOccurrences(of: "/\(db)?", with: "/postgres?")
        // Node B runs with the production bound (2 s): this test is about what happens past it. Node A
        // keeps the tests' long bound, so a late heartbeat on a loaded machine cannot refuse its writes.
        try await TestServer.with(database: url) { a in
            try await TestServer.with(database: url, adminKey: a.adminKey, configure: { $0.maxStaleness = .seconds(2) }) { b in
                let idn = try await a.createIdentity()
                let (id, key) = try await a.issueKey(identity: idn)
                // Bounded polls: node B learns of changes through PostgreSQL NOTIFY, and its staleness is real time.
                // A busy machine may delay B's heartbeat past 2 s (a 503) before the cut: poll through it.
                #expect(try await eventually { (try? await b.verify(key))?["valid"] as? Bool == true } != nil)
                #expect(try await eventually { try await b.anonymous("GET", "/readyz").status == 200 } != nil)

                // Block new connections (superusers included), then cut B's LISTEN connection:
                // B cannot reconnect. The nodes' pooled connections stay open.
                let listen = try #require(b.runtime.store.feed.freshness.listenApplicationName)
                // A loaded machine may already have made B reconnect once (a late heartbeat): count from here.
                let reconnectsBefore = Self.value("keyward_change_feed_reconnects_total", in: try await b.anonymous("GET", "/metrics").text) ?? 0
                try pg.superuserSQL("ALTER DATABASE \(db) ALLOW_CONNECTIONS false", in: maintenance)
                defer { _ = try? pg.superuserSQL("ALTER DATABASE \(db) ALLOW_CONNECTIONS true", in: maintenance) }
                let cut = try pg.superuserSQL("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '\(listen)'", in: maintenance)
                // One, or two when a reconnect's old backend has not ended yet: both carry B's listen name.
                #expect(cut == "1" || cut == "2", "B's listen connection was not found")

                let revoke = try await a.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"case 52"}"#)
                #expect(revoke.status == 200)

                // B turns not-ready once its index is staler than the bound (2 s by default)…
                let stale = try await eventually { try await b.anonymous("GET", "/readyz").status == 503 }
                #expect(stale != nil, "B stayed ready with its change feed cut")
                let readyz = try await b.anonymous("GET", "/readyz")
                #expect(readyz.json()["status"] as? String == "stale")
                #expect(readyz.json()["change_feed_connected"] as? Bool == false)
                // Whole milliseconds, rounded down: just past a 2000 ms bound reads 2000.
                #expect((readyz.json()["staleness_ms"] as? Int ?? 0) >= (readyz.json()["max_staleness_ms"] as? Int ?? .max))

                // …and from then on never vouches: verify (fast path and router alike) and the
                // management bearer check answer 503 with Retry-After.
                for _ in 0..<20 {
                    let r = try await b.request("POST", "/v1/keys/verify", body: #"{"key":"\#(key)"}"#)
                    #expect(r.status == 503, "stale node answered \(r.status): \(r.text)")
                    #expect(!r.text.contains("\"valid\":true"))
                    #expect(r.json()["type"] as? String == "urn:keyward:error:server:unavailable")
                    #expect(r.headers.first(name: "Retry-After") != nil)
                }
                #expect(try await b.request("GET", "/v1/identities").status == 503)
                #expect(try await b.anonymous("GET", "/healthz").status == 200, "/healthz stays constant")

                let metrics = try await b.anonymous("GET", "/metrics").text
                #expect(Self.value("keyward_change_feed_connected", in: metrics) == 0)
                #expect((Self.value("keyward_change_feed_staleness_seconds", in: metrics) ?? 0) >= 2)
                #expect((Self.value("keyward_verify_refused_total{reason=\"stale\"}", in: metrics) ?? 0) >= 21)

                // Unblock: B reconnects, reloads every key, and only then reports ready; its
                // very first answer afterwards is `revoked` (no stale valid:true after reconnect).
                try pg.superuserSQL("ALTER DATABASE \(db) ALLOW_CONNECTIONS true", in: maintenance)
                let back = try await eventually(timeout: .seconds(30)) { try await b.anonymous("GET", "/readyz").status == 200 }
                #expect(back != nil, "B never became ready again")
                // Once ready it never says valid:true; a late heartbeat may still make it answer 503 for a moment.
                var answers: [String] = []
                let revoked = try await eventually {
                    let r = try await b.request("POST", "/v1/keys/verify", body: #"{"key":"\#(key)"}"#)
                    answers.append(r.text)
                    return r.json()["reason"] as? String == "revoked"
                }
                #expect(revoked != nil, "B never answered revoked after it reconnected")
                #expect(!answers.contains { $0.contains("\"valid\":true") }, "B vouched for a revoked key after reconnecting")
                let after = try await b.anonymous("GET", "/metrics").text
                #expect(Self.value("keyward_change_feed_connected", in: after) == 1)
                #expect(Self.value("keyward_change_feed_reconnects_total", in: after) == reconnectsBefore + 1)
                #expect(try await a.verify(key)["reason"] as? String == "revoked")
                #expect(try await b.leakReport().isEmpty)
                print("case 52 (informative, not asserted): not ready after \(stale.map { "\($0)" } ?? "-"), ready again after \(back.map { "\($0)" } ?? "-")")
            }
        }
    }

    @Test("case 52: an idle cluster stays ready, its heartbeat keeps the index fresh with no changes")
    func idleClusterStaysReady() async throws {
        let url = try PostgresServer.instance().createDatabase()
        try await TestServer.with(database: url, configure: { $0.maxStaleness = .seconds(2) }) { a in
            try await TestServer.with(database: url, adminKey: a.adminKey, configure: { $0.maxStaleness = .seconds(2) }) { b in
                // Poll both nodes until twice the default bound (2 s) has passed with no write
                // anywhere: a node fresh only as of its last change or load would turn 503.
                let start = ContinuousClock.now
                var polls = 0
                while ContinuousClock.now - start < .milliseconds(4_500) {
                    for node in [a, b] {
                        let r = try await node.anonymous("GET", "/readyz")
                        #expect(r.status == 200, "idle node not ready: \(r.text)")
                        #expect(r.json()["change_feed_connected"] as? Bool == true)
                    }
                    polls += 1
                }
                #expect(polls > 0)
                let metrics = try await b.anonymous("GET", "/metrics").text
                #expect((Self.value("keyward_change_feed_staleness_seconds", in: metrics) ?? .infinity) < 2)
                #expect(Self.value("keyward_change_feed_reconnects_total", in: metrics) == 0)
            }
        }
    }

    @Test("a single SQLite node is always ready: the in-process feed cannot lag")
    func sqliteAlwaysReady() async throws {
        try await TestServer.with { s in
            let r = try await s.anonymous("GET", "/readyz")
            #expect(r.status == 200)
            #expect(r.json()["status"] as? String == "ready")
            #expect(r.json()["staleness_ms"] as? Int == 0)
            let metrics = try await s.anonymous("GET", "/metrics").text
            #expect(Self.value("keyward_change_feed_staleness_seconds", in: metrics) == 0)
            #expect(Self.value("keyward_change_feed_connected", in: metrics) == 1)
        }
    }

    @Test("case 52: a reload page older than the index never un-revokes, un-quarantines or rolls back a key")
    func olderStateNeverUndoesNewer() {
        let now = Date()
        let v1 = KeyVersion(version: 1, digest: SecretDigest(hashing: "v1".utf8), fingerprint: Fingerprint(hex: ""), prefix: "",
                            expiresAt: nil, createdAt: now)
        let v2 = KeyVersion(version: 2, digest: SecretDigest(hashing: "v2".utf8), fingerprint: Fingerprint(hex: ""), prefix: "",
                            expiresAt: nil, createdAt: now)
        let active = APIKey(id: .random(), identityID: .random(), name: nil, environment: .live, scopes: [Scope("a:read")!],
                            status: .active, currentVersion: 1, createdAt: now, updatedAt: now, versions: [v1])
        let index = KeyIndex()
        var revoked = active
        revoked.status = .revoked
        index.apply(revoked)
        index.apply(active) // a reload page read before the revoke committed, applied after it
        #expect(index.lookup(v1.digest)?.revoked == true)

        var quarantined = active
        quarantined.id = .random()
        quarantined.status = .quarantined
        var rotated = quarantined
        rotated.status = .active // a rotation lifts quarantine, with a new version
        rotated.currentVersion = 2
        var old = v1
        old.graceUntil = now
        rotated.versions = [old, v2]
        index.apply(quarantined)
        index.apply({ var k = quarantined; k.status = .active; return k }())
        #expect(index.lookup(v1.digest)?.quarantined == true, "same version, same instant: quarantine stays")
        var earlier = quarantined
        earlier.status = .active
        earlier.updatedAt = now.addingTimeInterval(-1)
        index.apply(earlier)
        #expect(index.lookup(v1.digest)?.quarantined == true, "an older state never lifts it")
        var released = quarantined
        released.status = .active
        released.updatedAt = now.addingTimeInterval(1)
        index.apply(released)
        #expect(index.lookup(v1.digest)?.quarantined == false, "an admin's release, written later, lifts it")
        index.apply(quarantined)
        #expect(index.lookup(v1.digest)?.quarantined == false, "and the quarantine it replaced does not come back")
        index.apply(rotated)
        index.apply(quarantined) // an older snapshot after the rotation
        #expect(index.lookup(v2.digest)?.isCurrent == true)
        #expect(index.lookup(v2.digest)?.quarantined == false)
        #expect(index.lookup(v1.digest)?.isCurrent == false)
    }

    /// The value of the sample `series` (name with its labels, as printed) in Prometheus text.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }
}
