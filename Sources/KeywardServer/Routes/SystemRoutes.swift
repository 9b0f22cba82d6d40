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
    let connections: ConnectionTracker
    let openAPI: ByteBuffer
    let logWriter: LogWriter?
    let detection: DetectionEngine
    let posture: PostureCache

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let health = ByteBuffer(string: "{\"status\":\"ok\"}")
        table.add(.get, "/healthz")
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: health))
        }
        let registry = registry, verifier = verifier, index = verifier.index, openAPI = openAPI, connections = connections, logWriter = logWriter,
            detection = detection, posture = posture
        // case 52 of docs/security-cases.md: a load balancer takes a node whose change feed is lost out of
        // rotation; verify on it answers 503 meanwhile, never a stale `valid:true`.
        table.add(.get, "/readyz")
        router.get("/readyz") { _, _ in
            let ready = verifier.isVouching
            var headers: HTTPFields = [.contentType: "application/json"]
            if !ready { headers[.retryAfter] = "1" }
            return Response(status: ready ? .ok : .serviceUnavailable, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: Self.readiness(verifier, ready: ready))))
        }
        let staleness = registry.makeGauge(name: "keyward_change_feed_staleness_seconds",
                                           help: "Age of the newest point as of which every committed change had reached the key index (0 for SQLite).")
        let reconnects = registry.makeCounter(name: "keyward_change_feed_reconnects_total",
                                              help: "Change-feed connections re-established, each followed by a full reload.")
        let reconnectsSeen = Mutex(0)
        table.add(.get, "/metrics")
        router.get("/metrics") { _, _ in
            let feed = verifier.freshness
            staleness.set(to: feed.staleness().map(Self.seconds) ?? .infinity)
            let n = feed.reconnects
            reconnectsSeen.withLock { seen in
                if n > seen { reconnects.increment(by: Int64(n - seen)); seen = n }
            }
            var text = ByteBuffer(bytes: registry.emitToBuffer())
            text.writeString(Self.scrapeSeries(index.counts(), feedConnected: feed.connected, connectionsOpen: connections.openConnections,
                                               logLinesDropped: logWriter?.droppedTotal, detection: detection.tracked, posture: await posture.recent()))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: text))
        }
        table.add(.get, "/openapi.yaml")
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: openAPI))
        }
    }

    /// The series computed at scrape time, as integers: key counts, feed and connection state,
    /// build and process information.
    static func scrapeSeries(_ c: KeyIndex.Counts, feedConnected: Bool, connectionsOpen: Int, logLinesDropped: Int? = nil,
                             detection: (keys: Int, sources: Int, identities: Int, blocked: Int)? = nil, posture: PostureReport? = nil) -> String {
        var e = Exposition()
        e.family("keyward_keys", "gauge", "Keys in the verify index, by status.",
                 [([("status", "active")], String(c.keys - c.revoked)), ([("status", "revoked")], String(c.revoked))])
        e.gauge("keyward_key_versions", "Key versions in the verify index.", c.versions)
        e.gauge("keyward_change_feed_connected", "1 while the change-feed (LISTEN) connection is up.", feedConnected ? 1 : 0)
        e.gauge("keyward_http_connections_open", "HTTP connections open now.", connectionsOpen)
        e.gauge("keyward_build_info", "Always 1; the labels name the version, git revision and Swift compiler of this binary.", 1,
                labels: [("version", BuildInfo.version), ("revision", BuildInfo.revision), ("swift", BuildInfo.swiftVersion)])
        if let logLinesDropped {
            e.family("keyward_log_lines_dropped_total", "counter", "Log lines dropped because the log writer fell behind (each loss is also said in the log).",
                     [([], String(logLinesDropped))])
        }
        if let d = detection {
            e.family("keyward_detection_tracked", "gauge", "What the abuse detectors hold state for on this node: keys (and OAuth clients), failing sources, targeted identities, blocked sources.",
                     [([("table", "keys")], String(d.keys)), ([("table", "sources")], String(d.sources)),
                      ([("table", "identities")], String(d.identities)), ([("table", "blocked")], String(d.blocked))])
        }
        if let posture { PostureCache.series(posture, into: &e) }
        ProcessMetrics.write(into: &e)
        return e.text
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
