import Foundation
import KeywardAPI
import KeywardCore

/// Plain aligned tables for humans; `--json` prints the wire JSON instead. Every cell, field
/// and line passes through `TerminalText.safe` (issue 10 item 8); JSON is data and stays as is.
enum Output {
    static func table(_ headers: [String], _ rawRows: [[String]]) {
        let rows = rawRows.map { $0.map { TerminalText.safe($0) } }
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        print(line(headers))
        for r in rows { print(line(r)) }
    }

    static func fields(_ pairs: [(String, String)]) {
        let w = pairs.map(\.0.count).max() ?? 0
        for (k, v) in pairs { print(k.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + TerminalText.safe(v)) }
    }

    /// One line on standard output; interpolated values are made safe (see `TerminalLine`).
    static func line(_ l: TerminalLine) { print(l.text) }

    /// One line on standard error.
    static func note(_ l: TerminalLine) { FileHandle.standardError.write(Data((l.text + "\n").utf8)) }

    /// `keyward: warning: …` on standard error.
    static func warn(_ l: TerminalLine) { note("keyward: warning: \(raw: l)") }

    static func json<T: Encodable>(_ value: T) throws {
        let enc = WireCoding.encoder()
        enc.outputFormatting.insert(.prettyPrinted)
        print(String(decoding: try enc.encode(value), as: UTF8.self))
    }

    static func date(_ d: Date?) -> String {
        guard let d else { return "-" }
        let f = ISO8601DateFormatter()
        return f.string(from: d)
    }
}
