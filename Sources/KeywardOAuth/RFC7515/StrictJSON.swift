/// Strict JSON (RFC 8259) for JOSE: duplicate member names refused (RFC 7515 §5.2 / RFC 8725),
/// depth ≤ 16, one top-level object, bounded by the input size. Hand-written because Foundation
/// accepts duplicate members silently and its two decoders disagree on the winner (measured on
/// this toolchain: JSONSerialization keeps the last `"a"`, JSONDecoder the first), which is the
/// ambiguity RFC 8725 warns about; it also gives no depth limit we control.
package enum StrictJSON {
    /// Deepest nesting accepted; the parser recurses at most this far, so 10,000-deep input is
    /// refused at depth 17 without touching the stack.
    package static let maxDepth = 16

    /// The members of the one JSON object `bytes` holds (UTF-8, whitespace around it allowed).
    package static func object(_ bytes: some Collection<UInt8>) throws(JOSEError) -> [String: JSONValue] {
        var parser = Parser(bytes: Array(bytes))
        parser.skipWhitespace()
        guard parser.peek == UInt8(ascii: "{") else { throw JOSEError("JSON text is not an object") }
        let members = try parser.object(depth: 1)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw JOSEError("JSON text has data after its object") }
        return members
    }

    static let malformed = JOSEError("malformed JSON")
}

extension StrictJSON {
    struct Parser {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) throws(JOSEError) {
            skipWhitespace()
            guard peek == byte else { throw StrictJSON.malformed }
            index += 1
        }

        mutating func value(depth: Int) throws(JOSEError) -> JSONValue {
            skipWhitespace()
            guard let c = peek else { throw StrictJSON.malformed }
            switch c {
            case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
            case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw StrictJSON.malformed
            }
        }

        mutating func object(depth: Int) throws(JOSEError) -> [String: JSONValue] {
            guard depth <= StrictJSON.maxDepth else { throw .tooDeep }
            index += 1 // {
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if peek == UInt8(ascii: "}") { index += 1; return members }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw StrictJSON.malformed }
                let name = try string()
                try expect(UInt8(ascii: ":"))
                let member = try value(depth: depth)
                // RFC 7515 §5.2 / RFC 8725 §3.x: a repeated name makes the object ambiguous; refuse it
                // (names compare after unescaping, so "sub" and "s\u0075b" are the same member).
                if members.updateValue(member, forKey: name) != nil { throw .duplicateMember }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): index += 1; return members
                default: throw StrictJSON.malformed
                }
            }
        }

        mutating func array(depth: Int) throws(JOSEError) -> [JSONValue] {
            guard depth <= StrictJSON.maxDepth else { throw .tooDeep }
            index += 1 // [
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") { index += 1; return elements }
            while true {
                elements.append(try value(depth: depth))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"): index += 1; return elements
                default: throw StrictJSON.malformed
                }
            }
        }

        mutating func literal(_ word: StaticString) throws(JOSEError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw StrictJSON.malformed }
            for k in 0..<count where bytes[index + k] != word.utf8Start[k] { throw StrictJSON.malformed }
            index += count
        }

        /// RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        mutating func number() throws(JOSEError) -> Double {
            let start = index
            if peek == UInt8(ascii: "-") { index += 1 }
            guard let first = peek, isDigit(first) else { throw StrictJSON.malformed }
            index += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard let d = peek, isDigit(d) else { throw StrictJSON.malformed }
                skipDigits()
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard let d = peek, isDigit(d) else { throw StrictJSON.malformed }
                skipDigits()
            }
            guard let n = Double(String(decoding: bytes[start..<index], as: UTF8.self)), n.isFinite else { throw StrictJSON.malformed }
            return n
        }

        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

        mutating func skipDigits() {
            while let c = peek, isDigit(c) { index += 1 }
        }

        /// A string literal starting at its opening quote; UTF-8 validated, escapes decoded,
        /// unescaped control characters and lone surrogates refused.
        mutating func string() throws(JOSEError) -> String {
            index += 1 // "
            let start = index
            while index < bytes.count {
                let c = bytes[index]
                if c == UInt8(ascii: "\"") {
                    guard let s = String(validating: bytes[start..<index], as: UTF8.self) else { throw StrictJSON.badUTF8 }
                    index += 1
                    return s
                }
                if c == UInt8(ascii: "\\") || c < 0x20 { break }
                index += 1
            }
            var out = Array(bytes[start..<index])
            while index < bytes.count {
                let c = bytes[index]
                switch c {
                case UInt8(ascii: "\""):
                    index += 1
                    guard let s = String(validating: out, as: UTF8.self) else { throw StrictJSON.badUTF8 }
                    return s
                case UInt8(ascii: "\\"):
                    index += 1
                    try escape(into: &out)
                case 0..<0x20:
                    throw StrictJSON.malformed
                default:
                    out.append(c)
                    index += 1
                }
            }
            throw StrictJSON.malformed
        }

        mutating func escape(into out: inout [UInt8]) throws(JOSEError) {
            guard let c = peek else { throw StrictJSON.malformed }
            index += 1
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else { throw StrictJSON.badUTF8 }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw StrictJSON.badUTF8 }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw StrictJSON.badUTF8 }
                out.append(contentsOf: UTF8.encode(u)!)
            default: throw StrictJSON.malformed
            }
        }

        mutating func hex4() throws(JOSEError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw StrictJSON.malformed }
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let d = HTTPTargetURI.hex(bytes[index]) else { throw StrictJSON.malformed }
                v = v << 4 | UInt32(d)
                index += 1
            }
            return v
        }
    }

    static let badUTF8 = JOSEError("JSON string is not valid UTF-8 (or holds a lone surrogate)")
}
