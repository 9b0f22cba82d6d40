import Foundation
import KeywardCore

/// Attributes each finding of `bench detect`: to the injected attack of the same detector on the
/// same subject (key, identity or source) within its window (a detection; the first one times
/// it); else to another detector's attack on that subject then (a side effect: the brief's strict
/// count of false alarms is side + false alarms); else to nobody (a false alarm on normal traffic).
struct DetectScore {
    /// A finding up to this long after an attack ended still belongs to it (the longest window, a quarter hour).
    static let slack: Int64 = 15 * 60_000

    var labels: [DetectTraffic.AttackLabel]
    private var byKey: [KeyID: [Int]] = [:]
    private var byIdentity: [IdentityID: [Int]] = [:]
    private var bySource: [String: [Int]] = [:]
    /// Findings before this instant fall in the first simulated day, while baselines are learned.
    let firstDayEnds: Int64
    var side: [DetectorKind: Int] = [:]
    var falseAlarms: [DetectorKind: Int] = [:]
    var falseAlarmsFirstDay: [DetectorKind: Int] = [:]
    var examples: [DetectorKind: [String]] = [:]
    var examplesFirstDay: [DetectorKind: [String]] = [:]
    let keepExamples: Int
    /// The profile of each normal key, shown with a false alarm about it.
    let keyNotes: [KeyID: String]

    init(labels: [DetectTraffic.AttackLabel], firstDayEnds: Int64, keepExamples: Int, keyNotes: [KeyID: String]) {
        self.labels = labels
        self.firstDayEnds = firstDayEnds
        self.keepExamples = keepExamples
        self.keyNotes = keyNotes
        for (i, l) in labels.enumerated() {
            if let k = l.key { byKey[k, default: []].append(i) }
            if let id = l.identity { byIdentity[id, default: []].append(i) }
            if let s = l.source { bySource[s, default: []].append(i) }
        }
    }

    mutating func score(_ f: Finding) {
        let at = f.at.unixMillis
        let candidates = (f.keyID.flatMap { byKey[$0] } ?? []) + (f.identityID.flatMap { byIdentity[$0] } ?? []) + (f.source.flatMap { bySource[$0] } ?? [])
        var explained = false
        for i in candidates where at >= labels[i].start && at <= labels[i].end + Self.slack {
            if labels[i].detector == f.detector {
                if labels[i].detectedAt == nil { labels[i].detectedAt = at }
                return
            }
            explained = true
        }
        if explained { side[f.detector, default: 0] += 1; return }
        falseAlarms[f.detector, default: 0] += 1
        if at < firstDayEnds { falseAlarmsFirstDay[f.detector, default: 0] += 1 }
        // Examples after the first day are kept apart: they are the ones learning does not explain.
        let list = at < firstDayEnds ? \DetectScore.examplesFirstDay : \DetectScore.examples
        if self[keyPath: list][f.detector, default: []].count < keepExamples {
            let when = ISO8601DateFormatter.string(from: f.at, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
            let about = f.keyID.flatMap { keyNotes[$0] }.map { " (\($0))" } ?? f.source.map { " (source \($0))" } ?? ""
            self[keyPath: list][f.detector, default: []].append("\(when): \(f.evidence.summary)\(about)")
        }
    }

    /// Up to `keepExamples` false alarms per detector, those after the first day first.
    var falseAlarmExamples: [String: [String]] {
        var out: [String: [String]] = [:]
        for d in DetectorKind.allCases {
            let all = (examples[d] ?? []) + (examplesFirstDay[d] ?? [])
            if !all.isEmpty { out[d.rawValue] = Array(all.prefix(keepExamples)) }
        }
        return out
    }

    /// Up to `limit` missed attacks per detector, with their parameters and target.
    func missed(limit: Int) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for l in labels where l.detectedAt == nil && out[l.detector.rawValue, default: []].count < limit {
            out[l.detector.rawValue, default: []].append((l.variant.isEmpty ? "" : l.variant + ": ") + l.note)
        }
        return out
    }

    /// One report row per detector (and per variant where a detector's attacks come in several).
    func rows(calls: Int) -> [DetectReport.Row] {
        var rows: [DetectReport.Row] = []
        for d in DetectorKind.allCases {
            let mine = labels.filter { $0.detector == d }
            rows.append(row(d.rawValue, mine, side: side[d] ?? 0, falseAlarms: falseAlarms[d] ?? 0, firstDay: falseAlarmsFirstDay[d] ?? 0, calls: calls))
            let variants = Set(mine.map(\.variant))
            if variants.count > 1 {
                for v in variants.sorted() { rows.append(row("  \(v)", mine.filter { $0.variant == v }, side: nil, falseAlarms: nil, firstDay: nil, calls: calls)) }
            }
        }
        let all = Array(labels)
        rows.append(row("total", all, side: side.values.reduce(0, +), falseAlarms: falseAlarms.values.reduce(0, +),
                        firstDay: falseAlarmsFirstDay.values.reduce(0, +), calls: calls))
        return rows
    }

    private func row(_ name: String, _ attacks: [DetectTraffic.AttackLabel], side: Int?, falseAlarms: Int?, firstDay: Int?, calls: Int) -> DetectReport.Row {
        let times = attacks.compactMap { a in a.detectedAt.map { Double($0 - a.start) / 60_000 } }.sorted()
        return DetectReport.Row(
            detector: name, attacks: attacks.count, detected: times.count,
            rate: attacks.isEmpty ? nil : Double(times.count) / Double(attacks.count),
            minutesToDetectP50: Self.quantile(times, 0.5), minutesToDetectP90: Self.quantile(times, 0.9),
            side: side, falseAlarms: falseAlarms, falseAlarmsFirstDay: firstDay,
            falseAlarmsPerMillionCalls: falseAlarms.map { calls > 0 ? Double($0) * 1_000_000 / Double(calls) : 0 })
    }

    /// Nearest-rank quantile of sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }
}
