import Foundation

// MARK: - Minimal YAML reader

extension InventoryImport {
    /// A hand-written reader for the subset of YAML that Kubernetes Secret manifests use; the
    /// package has no YAML dependency and Secrets need little of the language.
    ///
    /// Supported: `---`/`...` document separators; block mappings nested by indentation (spaces
    /// only: a tab in indentation is an error); plain, single-quoted and double-quoted scalars,
    /// including multi-line ones with YAML's line folding and the usual `\` escapes; literal and
    /// folded block scalars (`|`, `>`) with `-`/`+` chomping and an explicit indentation digit;
    /// `#` comments; `null`/`~`; the empty flow collections `{}` and `[]`.
    ///
    /// Not supported: anchors, aliases and tags (an error), complex `? ` keys (an error),
    /// non-empty flow collections (kept as opaque when they close on their line, otherwise an
    /// error), directives. Block sequences (`- item`, indented or not) are skipped without being
    /// read, since a Secret keeps nothing it needs in a list (`ownerReferences`, `finalizers`,
    /// `managedFields`…).
    struct MiniYAML {
        indirect enum Node {
            case null
            case scalar(String)
            case mapping([Entry])
            /// Only produced from JSON; YAML sequences are skipped and read as `.opaque`.
            case sequence([Node])
            /// Content this reader does not interpret.
            case opaque
        }

        struct Entry {
            var key: String
            /// 1-based line of the key.
            var line: Int
            /// Orders entries as they appear in the input (a line index for YAML, a byte offset for JSON).
            var position: Int
            var value: Node
        }

        struct Document {
            /// 1-based line where the document's content starts.
            var line: Int
            var root: Node
        }

        private let lines: [[Character]]
        private let end: Int
        private var position: Int

        private init(lines: [[Character]], start: Int, end: Int) {
            self.lines = lines
            self.position = start
            self.end = end
        }

        /// Splits `text` at `---`/`...` lines and reads each non-empty document.
        static func documents(in text: [Substring]) throws -> [Document] {
            let lines = text.map { Array($0) }
            var ranges: [Range<Int>] = []
            var start = 0
            for (index, line) in lines.enumerated() where isDocumentMarker(line) {
                if !onlyBlanksOrComment(line.dropFirst(3)) {
                    throw InventoryImportError(line: index + 1, message: "content after a document marker is not supported")
                }
                ranges.append(start..<index)
                start = index + 1
            }
            ranges.append(start..<lines.count)

            var documents: [Document] = []
            for range in ranges {
                var reader = MiniYAML(lines: lines, start: range.lowerBound, end: range.upperBound)
                if let document = try reader.readDocument() { documents.append(document) }
            }
            return documents
        }

        private static func isDocumentMarker(_ line: [Character]) -> Bool {
            let head = String(line.prefix(3))
            guard head == "---" || head == "..." else { return false }
            return line.count == 3 || isBlank(line[3])
        }

        // MARK: Structure

        private mutating func readDocument() throws -> Document? {
            skipBlankAndCommentLines()
            guard position < end else { return nil }
            let line = position + 1
            let root = try readNode(indent: try indentation(at: position), parentIndent: -1, key: "document")
            skipBlankAndCommentLines()
            if position < end {
                throw error(at: position, "unexpected content (check the indentation)")
            }
            return Document(line: line, root: root)
        }

        /// Reads the node whose first line is the current one, starting at column `indent`.
        private mutating func readNode(indent: Int, parentIndent: Int, key: String) throws -> Node {
            let line = lines[position]
            if isSequenceEntry(line, at: indent) {
                skipSequence(indent: indent)
                return .opaque
            }
            if try mappingKey(in: line, at: indent) != nil {
                return try readMapping(indent: indent)
            }
            return try readInlineValue(column: indent, parentIndent: parentIndent, key: key)
        }

        private mutating func readMapping(indent: Int) throws -> Node {
            var entries: [Entry] = []
            var seen: Set<String> = []
            while true {
                skipBlankAndCommentLines()
                guard position < end else { break }
                let current = try indentation(at: position)
                if current < indent { break }
                guard current == indent else { throw error(at: position, "unexpected indentation") }
                guard let (key, valueColumn) = try mappingKey(in: lines[position], at: indent) else {
                    throw error(at: position, "expected 'key: value'")
                }
                guard seen.insert(key).inserted else { throw error(at: position, "duplicate key '\(key)'") }
                let keyIndex = position
                let value = try readValue(column: valueColumn, keyIndent: indent, key: key)
                entries.append(Entry(key: key, line: keyIndex + 1, position: keyIndex, value: value))
            }
            return .mapping(entries)
        }

        /// Reads the value of a `key:` whose colon ends at `column` on the current line.
        private mutating func readValue(column: Int, keyIndent: Int, key: String) throws -> Node {
            let line = lines[position]
            var start = column
            while start < line.count, isBlank(line[start]) { start += 1 }
            if start < line.count, line[start] != "#" {
                return try readInlineValue(column: start, parentIndent: keyIndent, key: key)
            }
            // Nothing on the key's line: the value is the more-indented block below, a sequence at
            // the key's own indentation (the style kubectl prints), or null.
            position += 1
            skipBlankAndCommentLines()
            guard position < end else { return .null }
            let next = try indentation(at: position)
            if next > keyIndent {
                return try readNode(indent: next, parentIndent: keyIndent, key: key)
            }
            if next == keyIndent, isSequenceEntry(lines[position], at: next) {
                skipSequence(indent: next)
                return .opaque
            }
            return .null
        }

        /// Reads a scalar (or empty flow collection) starting at `column` of the current line and
        /// moves past its last line.
        private mutating func readInlineValue(column: Int, parentIndent: Int, key: String) throws -> Node {
            let line = lines[position]
            switch line[column] {
            case "|", ">":
                return .scalar(try readBlockScalar(column: column, parentIndent: parentIndent, key: key))
            case "\"", "'":
                let (value, endLine, endColumn) = try readQuoted(line: position, column: column, key: key)
                if !onlyBlanksOrComment(lines[endLine][endColumn...]) {
                    throw error(at: endLine, "unexpected text after the quoted value of '\(key)'")
                }
                position = endLine + 1
                return .scalar(value)
            case "&", "*", "!":
                throw error(at: position, "anchors, aliases and tags are not supported (key '\(key)')")
            case "{", "[":
                let text = String(trimmed(stripComment(line[column...])))
                position += 1
                if text == "{}" { return .mapping([]) }
                if text == "[]" { return .opaque }
                let closing: Character = line[column] == "{" ? "}" : "]"
                guard text.last == closing else {
                    throw error(at: position - 1, "multi-line flow collections are not supported (key '\(key)')")
                }
                return .opaque
            case "-" where column + 1 == line.count || isBlank(line[column + 1]):
                throw error(at: position, "unexpected sequence entry after '\(key):'")
            default:
                return try readPlain(column: column, parentIndent: parentIndent, key: key)
            }
        }

        /// A plain scalar: the rest of the line up to a comment, folded with any continuation lines
        /// indented deeper than its parent (one line break becomes a space, blank lines become "\n").
        private mutating func readPlain(column: Int, parentIndent: Int, key: String) throws -> Node {
            let firstLine = position
            var (value, ended) = try plainText(lines[position], from: column, line: position, key: key)
            var lastLine = position
            var emptyLines = 0
            var lookahead = position + 1
            while !ended, lookahead < end {
                let line = lines[lookahead]
                if line.allSatisfy(isBlank) {
                    emptyLines += 1
                    lookahead += 1
                    continue
                }
                let indent = leadingSpaces(line)
                if indent <= parentIndent || line[indent] == "#" { break }
                let (piece, hadComment) = try plainText(line, from: indent, line: lookahead, key: key)
                value += emptyLines == 0 ? " " : String(repeating: "\n", count: emptyLines)
                value += piece
                emptyLines = 0
                ended = hadComment
                lastLine = lookahead
                lookahead += 1
            }
            position = lastLine + 1
            if lastLine == firstLine, ["~", "null", "Null", "NULL"].contains(value) { return .null }
            return .scalar(value)
        }

        /// One line of a plain scalar, trimmed, and whether a comment ended it.
        private func plainText(_ line: [Character], from column: Int, line index: Int, key: String) throws -> (String, Bool) {
            var text: [Character] = []
            var column = column
            var hadComment = false
            while column < line.count {
                let character = line[column]
                if character == "#", let last = text.last, isBlank(last) {
                    hadComment = true
                    break
                }
                if character == ":", column + 1 == line.count || isBlank(line[column + 1]) {
                    throw error(at: index, "': ' inside the plain value of '\(key)' (quote the value)")
                }
                text.append(character)
                column += 1
            }
            return (String(trimmed(text)), hadComment)
        }

        /// A single- or double-quoted scalar starting at `column` of line `start`, possibly over
        /// several lines. Returns the value and the position just after the closing quote.
        private func readQuoted(line start: Int, column: Int, key: String) throws -> (String, Int, Int) {
            let quote = lines[start][column]
            var value = ""
            // Literal blanks are held back until something follows them: YAML drops whitespace
            // around a line break inside a quoted scalar.
            var pendingBlanks = ""
            var lineIndex = start
            var index = column + 1
            while true {
                let line = lines[lineIndex]
                var escapedBreak = false
                while index < line.count {
                    let character = line[index]
                    if character == quote {
                        if quote == "'", index + 1 < line.count, line[index + 1] == "'" {
                            value += pendingBlanks + "'"
                            pendingBlanks = ""
                            index += 2
                            continue
                        }
                        return (value + pendingBlanks, lineIndex, index + 1)
                    }
                    if quote == "\"", character == "\\" {
                        value += pendingBlanks
                        pendingBlanks = ""
                        if index + 1 == line.count {
                            escapedBreak = true
                            break
                        }
                        let (decoded, next) = try unescape(line, at: index + 1, line: lineIndex, key: key)
                        value += decoded
                        index = next
                        continue
                    }
                    if isBlank(character) {
                        pendingBlanks.append(character)
                    } else {
                        value += pendingBlanks
                        pendingBlanks = ""
                        value.append(character)
                    }
                    index += 1
                }
                // Line break inside the quotes: fold it.
                pendingBlanks = ""
                var emptyLines = 0
                lineIndex += 1
                while lineIndex < end, lines[lineIndex].allSatisfy(isBlank) {
                    emptyLines += 1
                    lineIndex += 1
                }
                guard lineIndex < end else {
                    throw error(at: start, "unterminated quoted value for '\(key)'")
                }
                if escapedBreak || emptyLines > 0 {
                    value += String(repeating: "\n", count: emptyLines)
                } else {
                    value += " "
                }
                index = lines[lineIndex].firstIndex(where: { !isBlank($0) }) ?? 0
            }
        }

        /// Decodes the escape whose letter is at `index`; returns it and the index after it.
        private func unescape(_ line: [Character], at index: Int, line lineIndex: Int, key: String) throws -> (String, Int) {
            let simple: [Character: String] = [
                "0": "\0", "a": "\u{07}", "b": "\u{08}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{0B}",
                "f": "\u{0C}", "r": "\r", "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\",
                "N": "\u{85}", "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
            ]
            if let decoded = simple[line[index]] { return (decoded, index + 1) }
            let width: Int
            switch line[index] {
            case "x": width = 2
            case "u": width = 4
            case "U": width = 8
            default: throw error(at: lineIndex, "invalid escape sequence in the value of '\(key)'")
            }
            guard index + width < line.count,
                  let code = UInt32(String(line[(index + 1)...(index + width)]), radix: 16),
                  let scalar = Unicode.Scalar(code)
            else {
                throw error(at: lineIndex, "invalid escape sequence in the value of '\(key)'")
            }
            return (String(Character(scalar)), index + width + 1)
        }

        private enum Chomping { case clip, strip, keep }

        /// A `|` (literal) or `>` (folded) block scalar whose header is at `column` of the current line.
        private mutating func readBlockScalar(column: Int, parentIndent: Int, key: String) throws -> String {
            let header = lines[position]
            let folded = header[column] == ">"
            var chomping: Chomping?
            var explicitIndent: Int?
            var index = column + 1
            while index < header.count {
                let character = header[index]
                if chomping == nil, character == "-" || character == "+" {
                    chomping = character == "-" ? .strip : .keep
                } else if explicitIndent == nil, let digit = character.wholeNumberValue, (1...9).contains(digit) {
                    explicitIndent = digit
                } else {
                    break
                }
                index += 1
            }
            // Only whitespace, optionally followed by a comment, may follow the indicators.
            let rest = header[index...]
            let afterBlanks = rest.drop(while: isBlank)
            if !afterBlanks.isEmpty && (afterBlanks.first != "#" || afterBlanks.count == rest.count) {
                throw error(at: position, "invalid block scalar header for '\(key)'")
            }
            position += 1

            // Content indentation: explicit, or that of the first non-empty line.
            let blockIndent: Int
            if let explicitIndent {
                blockIndent = parentIndent + explicitIndent
            } else if let first = lines[position..<end].first(where: { !$0.allSatisfy(isBlank) }),
                      leadingSpaces(first) > parentIndent {
                blockIndent = leadingSpaces(first)
            } else {
                blockIndent = Int.max
            }
            var content: [String] = []
            while position < end {
                let line = lines[position]
                if line.allSatisfy(isBlank) {
                    content.append("")
                } else if leadingSpaces(line) >= blockIndent {
                    content.append(String(line[blockIndent...]))
                } else {
                    break
                }
                position += 1
            }
            return assembleBlockScalar(content, folded: folded, chomping: chomping ?? .clip)
        }

        /// Joins block scalar lines (indentation already removed) per YAML's folding and chomping
        /// rules: folding turns a single break between two ordinary lines into a space, keeps
        /// breaks around more-indented lines, and turns runs of empty lines into that many "\n".
        private func assembleBlockScalar(_ content: [String], folded: Bool, chomping: Chomping) -> String {
            guard let last = content.lastIndex(where: { !$0.isEmpty }) else {
                return chomping == .keep ? String(repeating: "\n", count: content.count) : ""
            }
            let trailingEmptyLines = content.count - last - 1
            var value = ""
            var previous: String?
            var emptyLines = 0
            for line in content[...last] {
                if line.isEmpty {
                    emptyLines += 1
                    continue
                }
                if let previous {
                    if folded && isOrdinary(previous) && isOrdinary(line) {
                        value += emptyLines == 0 ? " " : String(repeating: "\n", count: emptyLines)
                    } else {
                        value += String(repeating: "\n", count: emptyLines + 1)
                    }
                } else {
                    value += String(repeating: "\n", count: emptyLines)
                }
                value += line
                previous = line
                emptyLines = 0
            }
            switch chomping {
            case .strip: return value
            case .clip: return value + "\n"
            case .keep: return value + String(repeating: "\n", count: trailingEmptyLines + 1)
            }
        }

        /// In a folded scalar, lines that start with whitespace ("more indented") keep their breaks.
        private func isOrdinary(_ line: String) -> Bool {
            !(line.first.map(isBlank) ?? false)
        }

        /// Skips a block sequence whose `-` entries sit at `indent`, with everything nested in it.
        private mutating func skipSequence(indent: Int) {
            while position < end {
                let line = lines[position]
                let spaces = leadingSpaces(line)
                let skippable = line.allSatisfy(isBlank) || line[spaces] == "#" || spaces > indent
                    || (spaces == indent && isSequenceEntry(line, at: spaces))
                guard skippable else { return }
                position += 1
            }
        }

        // MARK: Lines

        /// If the line at `column` is `key: …`, the key and the column just after its colon.
        private func mappingKey(in line: [Character], at column: Int) throws -> (String, Int)? {
            let first = line[column]
            if first == "\"" || first == "'" {
                guard let (key, endLine, endColumn) = try? readQuoted(line: position, column: column, key: "key"),
                      endLine == position
                else { return nil }
                var index = endColumn
                while index < line.count, isBlank(line[index]) { index += 1 }
                guard index < line.count, line[index] == ":", index + 1 == line.count || isBlank(line[index + 1]) else {
                    return nil
                }
                return (key, index + 1)
            }
            if first == "?", column + 1 == line.count || isBlank(line[column + 1]) {
                throw error(at: position, "complex mapping keys ('? ') are not supported")
            }
            if first == "{" || first == "[" || first == "#" || isSequenceEntry(line, at: column) { return nil }
            for index in column..<line.count {
                if line[index] == "#", index > column, isBlank(line[index - 1]) { return nil }
                if line[index] == ":", index + 1 == line.count || isBlank(line[index + 1]) {
                    let key = String(trimmed(line[column..<index]))
                    guard !key.isEmpty else { throw error(at: position, "empty mapping key") }
                    return (key, index + 1)
                }
            }
            return nil
        }

        private func isSequenceEntry(_ line: [Character], at column: Int) -> Bool {
            column < line.count && line[column] == "-" && (column + 1 == line.count || isBlank(line[column + 1]))
        }

        private func leadingSpaces(_ line: [Character]) -> Int {
            line.firstIndex(where: { $0 != " " }) ?? line.count
        }

        /// The indentation of a content line; YAML forbids tabs there.
        private func indentation(at index: Int) throws -> Int {
            let spaces = leadingSpaces(lines[index])
            if spaces < lines[index].count, lines[index][spaces] == "\t" {
                throw error(at: index, "tab character used for indentation (YAML allows only spaces)")
            }
            return spaces
        }

        private mutating func skipBlankAndCommentLines() {
            while position < end {
                let line = lines[position]
                guard let first = line.first(where: { !isBlank($0) }), first != "#" else {
                    position += 1
                    continue
                }
                return
            }
        }

        private func error(at index: Int, _ message: String) -> InventoryImportError {
            InventoryImportError(line: index + 1, message: message)
        }
    }
}

