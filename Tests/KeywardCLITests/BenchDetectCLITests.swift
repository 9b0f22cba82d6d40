import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `keyward bench detect` through the built binary, on a tiny mix (the figures come from a
/// release run; nothing here is timed).
@Suite("keyward bench detect")
struct BenchDetectCLITests {
    static let tiny = ["bench", "detect", "--keys", "40", "--days", "2", "--attacks", "2", "--memory-keys", "2000", "--memory-sources", "1000"]

    @Test("the report names every detector with its counts, rates and false alarms, the replay and the memory")
    func reportsEveryDetector() async throws {
        let r = try await KeywardBinary.run(Self.tiny)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("in process, no HTTP"))
        #expect(r.stdout.contains("policy: defaults"))
        #expect(r.stdout.contains("enumerationDistinct=20"))
        let lines = r.stdout.split(separator: "\n")
        for d in DetectorKind.allCases {
            let row = lines.first { $0.hasPrefix(d.rawValue + " ") }
            #expect(row != nil, "no row for \(d.rawValue)")
            // attacks, detected, then (after rate and times) side, false alarms, first day, per million.
            let cells = row.map { $0.split(separator: " ", omittingEmptySubsequences: true) } ?? []
            #expect(cells.count >= 8 && Int(cells[1]) != nil && Int(cells[2]) != nil && Double(cells.last!) != nil, "\(row ?? "")")
        }
        #expect(lines.contains { $0.hasPrefix("total ") })
        #expect(r.stdout.range(of: #"calls: [1-9][0-9]* replayed"#, options: .regularExpression) != nil)
        #expect(r.stdout.range(of: #"bytes per tracked key"#) != nil)
        #expect(r.stdout.range(of: #"bytes per tracked source"#) != nil)
    }

    @Test("--json is one object with a row per detector")
    func json() async throws {
        let r = try await KeywardBinary.run(Self.tiny + ["--json", "--memory-keys", "0", "--memory-sources", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let rows = doc?["rows"] as? [[String: Any]] ?? []
        for d in DetectorKind.allCases {
            #expect(rows.contains { $0["detector"] as? String == d.rawValue && $0["attacks"] is Int && $0["falseAlarmsPerMillionCalls"] is Double })
        }
        #expect((doc?["calls"] as? Int ?? 0) > 0)
    }

    @Test("a bad flag exits 2 with a message")
    func badFlags() async throws {
        for args in [["--keys", "0"], ["--days", "31"], ["--memory-sources", "100001"], ["--no-such-flag"]] {
            let r = try await KeywardBinary.run(["bench", "detect"] + args)
            #expect(r.status == 2, "\(args): \(r.status)")
            #expect(!r.stderr.isEmpty)
        }
    }
}
