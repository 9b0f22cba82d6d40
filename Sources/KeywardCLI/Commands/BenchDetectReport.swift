import Foundation
import KeywardCore

/// What `bench detect` prints (as a table, or with `--json` as one object).
struct DetectReport: Codable {
    struct Row: Codable {
        var detector: String
        var attacks: Int
        var detected: Int
        var rate: Double?
        /// Simulated minutes from an attack's start to its first finding.
        var minutesToDetectP50: Double?
        var minutesToDetectP90: Double?
        /// Findings of this detector explained as another attack's side effect.
        var side: Int?
        var falseAlarms: Int?
        /// Of the false alarms, those in the first simulated day (while baselines are learned).
        var falseAlarmsFirstDay: Int?
        var falseAlarmsPerMillionCalls: Double?
    }

    struct Memory: Codable {
        var method: String
        var keys: Int
        var bytesPerKey: Double
        var sources: Int
        var bytesPerSource: Double
        var identities: Int
        var bytesPerIdentity: Double
        /// `MemoryLayout.stride` of the per-subject values (their heap parts come on top).
        var keyWatchInlineBytes: Int
        var sourceWatchInlineBytes: Int
        var identityWatchInlineBytes: Int
    }

    struct Tracked: Codable {
        var keys: Int
        var sources: Int
        var identities: Int
        var blocked: Int
    }

    var seed: UInt64
    var keys: Int
    var identities: Int
    var days: Int
    var attacksPerDetector: Int
    var misconfiguredClients: Int
    var policy: String
    var tuning: String
    var rows: [Row]
    var calls: Int
    var refusedWhileBlocked: Int
    var wallSeconds: Double
    var callsPerSecond: Double
    var engineSeconds: Double
    var engineNanosecondsPerCall: Double
    /// At the end of the replay, after the last sweep.
    var tracked: Tracked
    /// The most tracked at once during the replay.
    var peakTracked: Tracked
    var memory: Memory?
    var falseAlarmExamples: [String: [String]]
    var missedExamples: [String: [String]]

    /// The default policy's actions, one per detector (the same in both environments by default).
    static func describe(_ p: DetectionPolicy) -> String {
        let live = DetectorKind.allCases.map { "\($0.rawValue)=\(p.action($0, .live).rawValue)" }.joined(separator: ", ")
        let same = DetectorKind.allCases.allSatisfy { p.action($0, .live) == p.action($0, .test) }
        return "defaults (DetectionPolicy()): \(live)\(same ? " (live and test alike)" : "; test differs"); block_seconds=\(p.blockSeconds)"
    }

    /// Every tuning value, by name (read by reflection, so a new threshold shows up here unasked).
    static func describe(_ t: DetectionTuning) -> String {
        Mirror(reflecting: t).children.map { "\($0.label ?? "?")=\($0.value)" }.joined(separator: " ")
    }

    func printTable() {
        let header = ["detector", "attacks", "detected", "rate", "ttd p50", "ttd p90", "side", "false alarms", "(day 1)", "per M calls"]
        var lines = [header]
        for r in rows {
            lines.append([r.detector, String(r.attacks), String(r.detected), r.rate.map { String(format: "%.0f%%", $0 * 100) } ?? "-",
                          Self.minutes(r.minutesToDetectP50), Self.minutes(r.minutesToDetectP90), r.side.map(String.init) ?? "",
                          r.falseAlarms.map(String.init) ?? "", r.falseAlarmsFirstDay.map(String.init) ?? "",
                          r.falseAlarmsPerMillionCalls.map { String(format: "%.2f", $0) } ?? ""])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        for line in lines {
            print(line.enumerated().map { c, v in c == 0 ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[c] - v.count) + v }
                .joined(separator: "  "))
        }
        print("ttd: simulated minutes from an attack's start to its detector's first finding; side: findings on a subject while another detector's")
        print("attack on it runs (a human on a stable key is also a new source; a walk also moves volume); false alarms: findings on normal traffic,")
        print("no injected attack explains them (day 1: of those, in the first simulated day, while baselines are learned)")
        for d in DetectorKind.allCases {
            for e in falseAlarmExamples[d.rawValue] ?? [] { print("false alarm \(d.rawValue): \(e)") }
            for e in missedExamples[d.rawValue] ?? [] { print("missed \(d.rawValue): \(e)") }
        }
        print(String(format: "calls: %d replayed (%d more refused while their source was blocked) in %.1f s wall clock, %.0f calls/s including generation;",
                     calls, refusedWhileBlocked, wallSeconds, callsPerSecond))
        print(String(format: "  the detectors alone (observe, take, sweep each simulated minute): %.1f s, %.0f ns per call", engineSeconds, engineNanosecondsPerCall))
        print("tracked: at most \(peakTracked.keys) keys, \(peakTracked.sources) failing sources, \(peakTracked.identities) identities, \(peakTracked.blocked) blocked sources at once;"
              + " at the end (after the sweep) \(tracked.keys), \(tracked.sources), \(tracked.identities), \(tracked.blocked)")
        if let m = memory {
            print("memory (\(m.method)):")
            print(String(format: "  %d keys: %.0f bytes per tracked key (KeyWatch inline %d bytes)", m.keys, m.bytesPerKey, m.keyWatchInlineBytes))
            print(String(format: "  %d failing sources: %.0f bytes per tracked source (SourceWatch inline %d bytes)", m.sources, m.bytesPerSource, m.sourceWatchInlineBytes))
            print(String(format: "  %d identities: %.0f bytes per tracked identity (IdentityWatch inline %d bytes)", m.identities, m.bytesPerIdentity, m.identityWatchInlineBytes))
        }
    }

    private static func minutes(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v < 10 ? String(format: "%.1f min", v) : v < 600 ? String(format: "%.0f min", v) : String(format: "%.1f h", v / 60)
    }
}
