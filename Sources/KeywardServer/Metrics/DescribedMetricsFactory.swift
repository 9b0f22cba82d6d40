import Metrics
import Prometheus

/// swift-metrics' factory over the Prometheus registry, giving each series the `# HELP` text
/// the library code cannot (swift-metrics has no help text; `PrometheusMetricsFactory` passes
/// none). Series without an entry here get no HELP line, which the metrics test catches.
struct DescribedMetricsFactory: MetricsFactory {
    static let help: [String: String] = [
        "keyward_verify_total": "Verify answers by outcome (valid or the reason it is not).",
        "keyward_verify_refused_total": "Verify calls refused without an answer, by reason (stale: the key index lags the change feed).",
        "keyward_verify_duration_seconds": "Time to decide a verify, in the process (excluding HTTP).",
        "keyward_ratelimit_refused_total": "Requests refused by a rate limit, by the limit that refused them (key, identity, source, failure, routes).",
        "keyward_detections_total": "Findings of the abuse detectors at the verify point, by detector (each is recorded and listed by /v1/detections).",
        "keyward_detection_untracked_total": "Calls or findings a detector could not track because its table or queue was full (bounded memory under a flood).",
        "keyward_ratelimit_store_errors_total": "Decisions the shared rate-limit store could not take; fallback says what happened instead (local limiter, or refused with 503).",
    ]
    let registry: PrometheusCollectorRegistry
    private let plain: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.plain = PrometheusMetricsFactory(registry: registry)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: Self.help[label] ?? "")
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(name: label, labels: dimensions, buckets: plain.defaultDurationHistogramBuckets, help: Self.help[label] ?? "")
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        plain.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        plain.makeMeter(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
}
