import HTTPTypes
import Prometheus
import Synchronization

/// `keyward_http_requests_total` and `keyward_http_request_duration_seconds`, labelled by
/// method, route and status. The route is the registered template (`/v1/keys/{id}`), never the
/// raw path, which holds ids and may hold a key; a request that matched no route is
/// `unmatched`, and a method outside the standard ones is `other`, so no client can add series.
package final class RequestMetrics: Sendable {
    typealias Series = (count: Counter, duration: DurationHistogram)
    static let buckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].map {
        .nanoseconds(Int64($0 * 1e9))
    }
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    private let registry: PrometheusCollectorRegistry
    private let cache = Mutex<[String: Series]>([:])

    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The counter and histogram for one label set, made once.
    func series(method: HTTPRequest.Method, route: String?, status: Int) -> Series {
        let m = Self.methods.contains(method.rawValue) ? method.rawValue : "other"
        let r = route ?? "unmatched"
        let key = "\(m) \(r) \(status)"
        if let s = cache.withLock({ $0[key] }) { return s }
        let labels = [("method", m), ("route", r), ("status", String(status))]
        let s: Series = (
            registry.makeCounter(name: "keyward_http_requests_total", labels: labels, help: "HTTP requests answered, by method, route template and status."),
            registry.makeDurationHistogram(name: "keyward_http_request_duration_seconds", labels: labels, buckets: Self.buckets,
                                           help: "Time from a request's arrival to its answer, by method, route template and status.")
        )
        cache.withLock { $0[key] = s }
        return s
    }

    func record(method: HTTPRequest.Method, route: String?, status: Int, since start: ContinuousClock.Instant) {
        let s = series(method: method, route: route, status: status)
        s.count.increment()
        s.duration.record(ContinuousClock.now - start)
    }
}
