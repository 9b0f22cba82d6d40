import Foundation

/// A Jupyter notebook (nbformat 4) read as what its author saw: each cell's source and each
/// output's text as plain text, so a secret split by JSON escaping (`\"`, `\n`) or across the
/// lines of a cell (a PEM key pasted into a cell) is found. The raw file is scanned as well;
/// these parts add what only the decoded text shows.
package enum Notebook {
    /// One piece of decoded text and the file line its first line is on (nbformat writes a
    /// cell's source and an output's text as arrays of lines, one element per file line).
    package struct Part {
        package var text: [UInt8]
        package var firstLine: Int
    }

    /// Notebooks bigger than this are scanned only as raw JSON.
    static let maxSize = 64 << 20

    package static func isNotebook(path: String) -> Bool { path.lowercased().hasSuffix(".ipynb") }

    /// The decoded parts of `data`, or nil when it is not a notebook (not JSON, no `cells`).
    package static func parts(of data: [UInt8]) -> [Part]? {
        guard data.count <= maxSize,
              let root = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
              let cells = root["cells"] as? [[String: Any]] else { return nil }
        var locator = LineLocator(data)
        var out: [Part] = []
        func add(_ value: Any?) {
            let lines: [String]
            if let s = value as? String { lines = [s] } else if let a = value as? [String] { lines = a } else { return }
            guard !lines.isEmpty else { return }
            let text = Array(lines.joined().utf8)
            guard !text.isEmpty else { return }
            out.append(Part(text: text, firstLine: locator.line(of: lines[0])))
        }
        for cell in cells {
            locator.startCell()
            add(cell["source"])
            for output in cell["outputs"] as? [[String: Any]] ?? [] {
                add(output["text"])
                if let tb = output["traceback"] as? [String] { add(tb.map { $0 + "\n" }) }
                for (mime, value) in (output["data"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key })
                where mime.hasPrefix("text/") || mime.hasSuffix("json") || mime.hasSuffix("javascript") {
                    if value is String || value is [String] {
                        add(value)
                    } else if let json = try? JSONSerialization.data(withJSONObject: value, options: [.withoutEscapingSlashes, .fragmentsAllowed]) {
                        add(String(decoding: json, as: UTF8.self))
                    }
                }
            }
        }
        return out
    }

    /// Finds, moving forward through the file, the line where a JSON string literal with a
    /// given content is written: after the last one found, or else anywhere after the start of
    /// the current cell (a cell's `outputs` come before its `source` when keys are sorted, as
    /// Jupyter writes them, and after it otherwise). The last place found when it is nowhere
    /// (a writer that escapes differently), so lines stay in order.
    struct LineLocator {
        let data: [UInt8]
        var cursor = 0, line = 1
        var cellCursor = 0, cellLine = 1

        init(_ data: [UInt8]) { self.data = data }

        mutating func startCell() { (cellCursor, cellLine) = (cursor, line) }

        mutating func line(of string: String) -> Int {
            guard let literal = try? JSONSerialization.data(withJSONObject: string, options: [.withoutEscapingSlashes, .fragmentsAllowed])
            else { return line }
            if let at = Self.find(Array(literal), in: data, from: cursor) {
                for b in data[cursor..<at] where b == 0x0A { line += 1 }
                cursor = at
            } else if let at = Self.find(Array(literal), in: data, from: cellCursor), at < cursor {
                line = cellLine
                for b in data[cellCursor..<at] where b == 0x0A { line += 1 }
                cursor = at
            }
            return line
        }

        static func find(_ needle: [UInt8], in hay: [UInt8], from start: Int) -> Int? {
            guard !needle.isEmpty, hay.count - start >= needle.count else { return nil }
            return hay[start...].firstRange(of: needle)?.lowerBound
        }
    }
}
