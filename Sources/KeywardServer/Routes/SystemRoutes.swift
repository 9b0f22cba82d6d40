import Foundation
import Hummingbird
import KeywardCore
import KeywardStore
import KeywardVerify
import NIOCore
import Prometheus
import Synchronization

/// `/healthz` (constant body, no I/O), `/readyz` (is the key index fresh enough to vouch for
/// keys), `/metrics` (Prometheus text), `/openapi.yaml`.
struct SystemRoutes {
    let registry: PrometheusCollectorRegistry
    let verifier: Verifier
    let openAPI: ByteBuffer

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let health = ByteBuffer(string: "{\"status\":\"ok\"}")
        table.add(.get, "/healthz")
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: health))
        }
        let registry = registry, verifier = verifier, index = verifier.index, openAPI = openAPI
        // SECURITY-CASES 52: a load balancer takes a node whose change feed is lost out of
        // rotation; verify on it answers 503 meanwhile, never a stale `valid:true`.
        table.add(.get, "/readyz")
        router.get("/readyz") { _, _ in
            let ready = verifier.isVouching
            var headers: HTTPFields = [.contentType: "application/json"]
            if !ready { headers[.retryAfter] = "1" }
            return Response(status: ready ? .ok : .serviceUnavailable, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: Self.readiness(verifier, ready: ready))))
        }
        let active = registry.makeGauge(name: "keyward_keys", labels: [("status", "active")])
        let revoked = registry.makeGauge(name: "keyward_keys", labels: [("status", "revoked")])
        let versions = registry.makeGauge(name: "keyward_key_versions")
        let staleness = registry.makeGauge(name: "keyward_change_feed_staleness_seconds",
                                           help: "Age of the newest point as of which every committed change had reached the key index (0 for SQLite).")
        let connected = registry.makeGauge(name: "keyward_change_feed_connected",
                                           help: "1 while the change-feed (LISTEN) connection is up.")
        let reconnects = registry.makeCounter(name: "keyward_change_feed_reconnects_total",
                                              help: "Change-feed connections re-established, each followed by a full reload.")
        let reconnectsSeen = Mutex(0)
        table.add(.get, "/metrics")
        router.get("/metrics") { _, _ in
            let c = index.counts()
            active.set(Double(c.keys - c.revoked))
            revoked.set(Double(c.revoked))
            versions.set(Double(c.versions))
            let feed = verifier.freshness
            staleness.set(to: feed.staleness().map(Self.seconds) ?? .infinity)
            connected.set(to: feed.connected ? 1 : 0)
            let n = feed.reconnects
            reconnectsSeen.withLock { seen in
                if n > seen { reconnects.increment(by: Int64(n - seen)); seen = n }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        table.add(.get, "/openapi.yaml")
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: openAPI))
        }
    }

    /// `{"status":"ready"|"stale","staleness_ms":…,"max_staleness_ms":…,"change_feed_connected":…}`;
    /// `staleness_ms` is null before the index was ever fresh.
    static func readiness(_ verifier: Verifier, ready: Bool) -> String {
        let feed = verifier.freshness
        let ms = feed.staleness().map { String(Int64(seconds($0) * 1_000)) } ?? "null"
        let bound = Int64(seconds(verifier.config.maxStaleness) * 1_000)
        return "{\"status\":\"\(ready ? "ready" : "stale")\",\"staleness_ms\":\(ms),\"max_staleness_ms\":\(bound),\"change_feed_connected\":\(feed.connected)}"
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
