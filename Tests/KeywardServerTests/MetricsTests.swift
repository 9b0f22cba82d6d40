import Foundation
import KeywardCore
import KeywardServer
import KeywardTesting
import Testing

/// One sample line of the text exposition: family name (histogram suffixes removed), series
/// name, labels and value.
struct MetricSample {
    var series: String
    var labels: [String: String]
    var value: String

    init?(_ line: Substring) {
        guard let space = line.lastIndex(of: " ") else { return nil }
        value = String(line[line.index(after: space)...])
        let head = line[..<space]
        if let brace = head.firstIndex(of: "{") {
            series = String(head[..<brace])
            labels = [:]
            // Label values here hold no `",` sequences; an escaped quote is `\"`.
            for pair in head[head.index(after: brace)..<head.index(before: head.endIndex)].split(separator: "\",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { return nil }
                labels[String(kv[0])] = String(kv[1].drop { $0 == "\"" }.reversed().drop { $0 == "\"" }.reversed())
            }
        } else {
            series = String(head)
            labels = [:]
        }
    }
}

/// `/metrics` as parsed: HELP and TYPE per family, and every sample.
struct Scrape {
    var help: [String: Int] = [:]
    var type: [String: String] = [:]
    var typeLines: [String: Int] = [:]
    var samples: [MetricSample] = []
    var malformed: [String] = []

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let name = line.dropFirst(7).split(separator: " ").first.map(String.init) ?? ""
                help[name, default: 0] += 1
                if line.split(separator: " ", maxSplits: 3).count < 4 { malformed.append(String(line)) }
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { malformed.append(String(line)); continue }
                type[String(parts[2])] = String(parts[3])
                typeLines[String(parts[2]), default: 0] += 1
            } else if let s = MetricSample(line) {
                samples.append(s)
            } else {
                malformed.append(String(line))
            }
        }
    }

    /// The family a sample belongs to (a histogram's `_bucket`, `_sum` and `_count` are its family's).
    func family(of sample: MetricSample) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sample.series.hasSuffix(suffix) {
            let base = String(sample.series.dropLast(suffix.count))
            if type[base] == "histogram" { return base }
        }
        return sample.series
    }

    func value(_ series: String, _ labels: [String: String] = [:]) -> String? {
        samples.first { $0.series == series && $0.labels == labels }?.value
    }
}

// Issue 11: /metrics follows Prometheus conventions (HELP and TYPE everywhere, route templates
// in labels, integer counts), with build and process series.
@Suite("Metrics exposition")
struct MetricsTests {
    @Test("after some requests every series has one HELP and one TYPE, requests are counted by route template and status, build and process series are there")
    func exposition() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (kid, key) = try await s.issueKey(identity: idn)
            for _ in 0..<2 { #expect(try await s.anonymous("GET", "/healthz").status == 200) }
            #expect(try await s.request("GET", "/v1/keys/\(kid)").status == 200)
            #expect(try await s.request("GET", "/v1/keys/key_00000000000000000000000000000000").status == 404)
            #expect(try await s.verify(key)["valid"] as? Bool == true)
            #expect(try await s.anonymous("GET", "/no/such/\(key)").status == 404)

            let text = try await s.anonymous("GET", "/metrics").text
            let m = Scrape(text)
            #expect(m.malformed == [])
            #expect(!m.samples.isEmpty)
            for family in Set(m.samples.map(m.family)).sorted() {
                #expect(m.help[family] == 1, "\(family) has \(m.help[family] ?? 0) HELP lines")
                #expect(m.typeLines[family] == 1, "\(family) has \(m.typeLines[family] ?? 0) TYPE lines")
            }
            // Counts are integers: counters (other than seconds), histogram counts and buckets, count gauges.
            for sample in m.samples {
                let family = m.family(of: sample)
                let isCount = (m.type[family] == "counter" && !family.contains("seconds")) || sample.series.hasSuffix("_bucket")
                    || sample.series.hasSuffix("_count") || ["keyward_keys", "keyward_key_versions", "keyward_http_connections_open",
                                                             "process_open_fds", "process_resident_memory_bytes"].contains(family)
                if isCount { #expect(Int(sample.value) != nil, "\(sample.series) \(sample.labels) = \(sample.value)") }
            }

            let build = try #require(m.samples.first { $0.series == "keyward_build_info" })
            #expect(build.value == "1")
            #expect(build.labels["version"] == BuildInfo.version)
            #expect(build.labels["revision"]?.isEmpty == false)
            #expect(build.labels["swift"]?.isEmpty == false)

            #expect(m.value("keyward_http_requests_total", ["method": "GET", "route": "/healthz", "status": "200"]) == "2")
            let byID = m.samples.filter { $0.series == "keyward_http_requests_total" && $0.labels["method"] == "GET" && $0.labels["route"]?.hasPrefix("/v1/keys/") == true }
            #expect(Set(byID.map { $0.labels["status"] ?? "" }) == ["200", "404"], "\(byID.map(\.labels))")
            #expect(Set(byID.map { $0.labels["route"] ?? "" }).count == 1, "one template for every key id")
            #expect(m.value("keyward_http_requests_total", ["method": "POST", "route": "/v1/keys/verify", "status": "200"]) == "1")
            #expect(m.value("keyward_http_requests_total", ["method": "GET", "route": "unmatched", "status": "404"]) == "1")
            #expect(m.type["keyward_http_request_duration_seconds"] == "histogram")
            #expect(m.value("keyward_http_request_duration_seconds_count", ["method": "GET", "route": "/healthz", "status": "200"]) == "2")
            // No id, raw path or secret reaches a label.
            #expect(!text.contains(kid))
            #expect(!text.contains(key))
            #expect(!text.contains("/no/such"))

            #expect(m.value("keyward_keys", ["status": "active"]).flatMap(Int.init) ?? 0 >= 2) // the admin key and this one
            for name in ["process_start_time_seconds", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"] {
                let v = try #require(m.value(name).flatMap(Double.init), "\(name)")
                #expect(v > 0, "\(name)")
            }
            #expect(m.type["process_cpu_seconds_total"] == "counter")
            let started = try #require(m.value("process_start_time_seconds").flatMap(Double.init))
            #expect(abs(started - Date().timeIntervalSince1970) < 24 * 3600, "the start time is seconds since the epoch")
        }
    }
}
