import Foundation

// MARK: - dotenv

extension InventoryImport {
    /// `.env` files as docker compose, node/python dotenv and shells write them.
    ///
    /// Single-quoted values are literal and must close on their own line; double-quoted values
    /// understand `\n`, `\t`, `\"` and `\\` (other escapes are kept verbatim, backslash included)
    /// and may span lines. No `${VAR}` interpolation: the file's literal text is the secret.
    enum Dotenv {
        static func parse(_ lines: [Substring]) throws -> [ImportedValue] {
            var results: [ImportedValue] = []
            var index = 0
            while index < lines.count {
                let lineNumber = index + 1
                var rest = lines[index].drop(while: isBlank)
                index += 1
                if rest.isEmpty || rest.first == "#" { continue }
                if rest.hasPrefix("export"), let next = rest.dropFirst(6).first, isBlank(next) {
                    rest = rest.dropFirst(6).drop(while: isBlank)
                }
                guard let equals = rest.firstIndex(of: "=") else {
                    throw InventoryImportError(line: lineNumber, message: "expected KEY=value")
                }
                let key = String(trimmed(rest[..<equals]))
                guard isValidKey(key) else {
                    // The text before '=' is not echoed: a malformed line may be a bare secret.
                    throw InventoryImportError(line: lineNumber, message: "invalid key name (keys must match [A-Za-z_][A-Za-z0-9_.-]*)")
                }
                let raw = rest[rest.index(after: equals)...]
                let start = raw.drop(while: isBlank)
                let value: String
                switch start.first {
                case "'":
                    let body = start.dropFirst()
                    guard let close = body.firstIndex(of: "'") else {
                        throw InventoryImportError(line: lineNumber, message: "unterminated single-quoted value for \(key)")
                    }
                    value = String(body[..<close])
                    try checkAfterQuote(body[body.index(after: close)...], key: key, line: lineNumber)
                case "\"":
                    let (text, trailing) = try doubleQuoted(start.dropFirst(), lines: lines,
                                                            next: &index, key: key, line: lineNumber)
                    value = text
                    try checkAfterQuote(trailing, key: key, line: index)
                default:
                    value = String(trimmed(stripComment(raw)))
                }
                if !value.isEmpty {
                    results.append(ImportedValue(name: key, value: value, line: lineNumber))
                }
            }
            return results
        }

        static func isValidKey(_ key: String) -> Bool {
            guard let first = key.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
                return false
            }
            return key.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-".unicodeScalars.contains(scalar))
            }
        }

        /// Reads a double-quoted value starting just after its opening quote, continuing onto
        /// following lines (each line break becomes "\n") until the closing quote. `next` is the
        /// index of the line after the current one and is advanced past any continuation lines.
        /// Returns the value and whatever follows the closing quote on its line.
        static func doubleQuoted(_ start: Substring, lines: [Substring], next: inout Int, key: String, line: Int) throws
            -> (String, Substring)
        {
            var value = ""
            var chunk = start
            while true {
                var index = chunk.startIndex
                while index < chunk.endIndex {
                    let character = chunk[index]
                    if character == "\"" {
                        return (value, chunk[chunk.index(after: index)...])
                    }
                    if character == "\\", chunk.index(after: index) < chunk.endIndex {
                        index = chunk.index(after: index)
                        switch chunk[index] {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "\"": value.append("\"")
                        case "\\": value.append("\\")
                        default: value.append("\\"); value.append(chunk[index])
                        }
                    } else {
                        value.append(character)
                    }
                    index = chunk.index(after: index)
                }
                guard next < lines.count else {
                    throw InventoryImportError(line: line, message: "unterminated double-quoted value for \(key)")
                }
                value.append("\n")
                chunk = lines[next]
                next += 1
            }
        }

        /// After a closing quote only whitespace or a comment may follow.
        static func checkAfterQuote(_ trailing: Substring, key: String, line: Int) throws {
            if !onlyBlanksOrComment(trailing) {
                throw InventoryImportError(line: line, message: "unexpected text after the closing quote of \(key)")
            }
        }
    }
}

