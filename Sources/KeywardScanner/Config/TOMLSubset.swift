import Foundation

/// The part of TOML a `.keyward.toml` needs, parsed here: TOMLKit (the mirror's TOML package)
/// places only syntax errors, and every config error must name its line. Comments, bare keys, `[table]` and `[[array.of.tables]]` headers, basic
/// ("…", with escapes) and literal ('…', no escapes: regexes read as written) strings,
/// integers, floats, booleans and arrays (across lines, trailing comma allowed). Anything
/// else is an error that names its line.
package enum TOMLSubset {
    package indirect enum Value: Equatable, Sendable {
        case string(String), integer(Int), float(Double), bool(Bool), array([Value])
    }

    package struct Table: Sendable {
        package var name: String
        package var line: Int
        package var values: [String: Value] = [:]
        package var lines: [String: Int] = [:]
    }

    package struct ParseError: Error {
        package var line: Int
        package var message: String
    }

    /// Tables in file order; keys before any header go to a table named "".
    package static func parse(_ text: String) throws(ParseError) -> [Table] {
        var p = Parser(Array(text.utf8))
        return try p.document()
    }

    private struct Parser {
        let s: [UInt8]
        var i = 0
        var line = 1
        init(_ s: [UInt8]) { self.s = s }

        var atEnd: Bool { i >= s.count }
        var peek: UInt8? { i < s.count ? s[i] : nil }

        func fail(_ m: String) -> ParseError { ParseError(line: line, message: m) }

        mutating func skipSpaces() { while let c = peek, c == 0x20 || c == 0x09 { i += 1 } }

        /// Spaces, newlines and comments (inside arrays).
        mutating func skipBlank() {
            while let c = peek {
                if c == 0x20 || c == 0x09 || c == 0x0D { i += 1 } else if c == 0x0A { i += 1; line += 1 } else if c == 0x23 { skipComment() } else { return }
            }
        }

        mutating func skipComment() { while let c = peek, c != 0x0A { i += 1 } }

        /// After a value or header: only a comment may follow on the line.
        mutating func endOfLine() throws(ParseError) {
            skipSpaces()
            if peek == 0x23 { skipComment() }
            if peek == 0x0D { i += 1 }
            guard atEnd || peek == 0x0A else { throw fail("unexpected text after the value") }
        }

        mutating func document() throws(ParseError) -> [Table] {
            var tables = [Table(name: "", line: 1)]
            while true {
                skipBlank()
                guard let c = peek else { return tables }
                if c == 0x5B { // [
                    let start = line
                    let double = i + 1 < s.count && s[i + 1] == 0x5B
                    i += double ? 2 : 1
                    skipSpaces()
                    let name = try dottedKey()
                    skipSpaces()
                    guard peek == 0x5D else { throw fail("a table header must end with ]") }
                    i += 1
                    if double { guard peek == 0x5D else { throw fail("an array-of-tables header must end with ]]") }; i += 1 }
                    try endOfLine()
                    if !double, tables.contains(where: { $0.name == name }) { throw fail("table [\(name)] is defined twice") }
                    tables.append(Table(name: name, line: start))
                    continue
                }
                let keyLine = line
                let key = try dottedKey()
                skipSpaces()
                guard peek == 0x3D else { throw fail("expected = after the key \(key)") }
                i += 1
                skipSpaces()
                let v = try value()
                try endOfLine()
                guard tables[tables.count - 1].values[key] == nil else { throw ParseError(line: keyLine, message: "key \(key) is given twice") }
                tables[tables.count - 1].values[key] = v
                tables[tables.count - 1].lines[key] = keyLine
            }
        }

        mutating func dottedKey() throws(ParseError) -> String {
            var parts: [String] = []
            repeat {
                if !parts.isEmpty { i += 1; skipSpaces() }
                let start = i
                while let c = peek, (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x5F || c == 0x2D { i += 1 }
                guard i > start else { throw fail("expected a key (letters, digits, _ and -)") }
                parts.append(String(decoding: s[start..<i], as: UTF8.self))
                skipSpaces()
            } while peek == 0x2E
            return parts.joined(separator: ".")
        }

        mutating func value() throws(ParseError) -> Value {
            guard let c = peek else { throw fail("expected a value") }
            switch c {
            case 0x22: return .string(try basicString())
            case 0x27: return .string(try literalString())
            case 0x5B:
                i += 1
                var items: [Value] = []
                while true {
                    skipBlank()
                    if peek == 0x5D { i += 1; return .array(items) }
                    items.append(try value())
                    skipBlank()
                    if peek == 0x2C { i += 1; continue }
                    skipBlank()
                    guard peek == 0x5D else { throw fail("expected , or ] in an array") }
                }
            default:
                let start = i
                while let c = peek, !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x2C || c == 0x5D || c == 0x23) { i += 1 }
                let word = String(decoding: s[start..<i], as: UTF8.self)
                if word == "true" { return .bool(true) }
                if word == "false" { return .bool(false) }
                if let n = Int(word.replacingOccurrences(of: "_", with: "")) { return .integer(n) }
                if let d = Double(word), word.contains(".") { return .float(d) }
                throw fail("expected a string, number, boolean or array, found \(word.isEmpty ? "nothing" : word)")
            }
        }

        mutating func literalString() throws(ParseError) -> String {
            i += 1
            let start = i
            while let c = peek, c != 0x27 {
                guard c != 0x0A else { throw fail("a '…' string must end on its line") }
                i += 1
            }
            guard peek == 0x27 else { throw fail("unterminated string") }
            defer { i += 1 }
            return String(decoding: s[start..<i], as: UTF8.self)
        }

        mutating func basicString() throws(ParseError) -> String {
            i += 1
            var out: [UInt8] = []
            while let c = peek, c != 0x22 {
                guard c != 0x0A else { throw fail("a \"…\" string must end on its line") }
                i += 1
                guard c == 0x5C else { out.append(c); continue }
                guard let e = peek else { break }
                i += 1
                switch e {
                case 0x22, 0x5C: out.append(e)
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                case 0x72: out.append(0x0D)
                case 0x75, 0x55:
                    let n = e == 0x75 ? 4 : 8
                    guard i + n <= s.count, let v = UInt32(String(decoding: s[i..<(i + n)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(v) else { throw fail("bad \\u escape") }
                    out += Array(String(scalar).utf8)
                    i += n
                default: throw fail("unknown escape \\\(String(UnicodeScalar(e))) (use a '…' literal string for regexes)")
                }
            }
            guard peek == 0x22 else { throw fail("unterminated string") }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }
    }
}
