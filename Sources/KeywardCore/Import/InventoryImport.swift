import Foundation

/// One secret value found in an inventory file.
package struct ImportedValue: Sendable, Equatable {
    /// Where it came from, in the file's own terms, e.g. "STRIPE_SECRET_KEY" (dotenv),
    /// "payments/stripe-keys:data.api-key" (k8s: namespace/name:section.key; namespace "default" when absent),
    /// "default:aws_secret_access_key" (aws: profile:key).
    package var name: String
    /// The plaintext value (already base64-decoded for k8s `data:`).
    package var value: String
    /// 1-based line number in the input where the value (or its key) starts.
    package var line: Int

    package init(name: String, value: String, line: Int) {
        self.name = name
        self.value = value
        self.line = line
    }
}

package enum InventoryFormat: String, Sendable, CaseIterable {
    case dotenv
    case k8sSecret = "k8s-secret"
    case awsCredentials = "aws-credentials"
}

/// Pure parsers that pull secret values out of the inventory files owners already have: `.env`
/// files, Kubernetes Secret manifests and AWS shared credentials/config files. No I/O.
///
/// Common rules for every format:
/// - results come in file order, and `line` is the line of the value's key;
/// - entries whose value is empty are skipped (there is nothing to fingerprint);
/// - a leading byte-order mark and CRLF line endings are accepted;
/// - errors carry a line number and, where there is one, the key name, but never any part of a
///   value or of an unparseable line (which may be a secret pasted on its own).
package enum InventoryImport {
    /// Parses `text`. Throws `InventoryImportError` on malformed input. Error messages name the
    /// line number and the key name but NEVER include a value (values are secrets).
    package static func parse(_ text: String, format: InventoryFormat) throws -> [ImportedValue] {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        switch format {
        case .dotenv:
            return try Dotenv.parse(lines(of: text))
        case .awsCredentials:
            return try AWSCredentials.parse(lines(of: text))
        case .k8sSecret:
            if text.first(where: { !$0.isWhitespace }) == "{" {
                return try K8sSecret.parseJSON(text)
            }
            return try K8sSecret.parseYAML(lines(of: text))
        }
    }

    /// Splits on LF and CRLF (Swift treats "\r\n" as one `Character`, so both must be named).
    private static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// Space or tab: the only whitespace these formats allow inside a line.
    fileprivate static func isBlank(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }

    fileprivate static func trimmed<C: BidirectionalCollection>(_ text: C) -> C.SubSequence where C.Element == Character {
        guard let first = text.firstIndex(where: { !isBlank($0) }) else { return text[text.endIndex...] }
        let last = text.lastIndex(where: { !isBlank($0) })!
        return text[first...last]
    }

    /// Cuts a comment off the end of a line: a marker that follows a space or tab (`KEY=a#b`
    /// keeps its `#`).
    fileprivate static func stripComment<C: Collection>(_ text: C, markers: [Character] = ["#"]) -> C.SubSequence where C.Element == Character {
        var previous: Character?
        for index in text.indices {
            if markers.contains(text[index]), let previous, isBlank(previous) { return text[..<index] }
            previous = text[index]
        }
        return text[...]
    }

    /// Whether only blanks, then nothing or a comment, follow (after a closing quote or a marker).
    fileprivate static func onlyBlanksOrComment(_ text: some Collection<Character>) -> Bool {
        let rest = text.drop(while: isBlank)
        return rest.isEmpty || rest.first == "#"
    }
}

package struct InventoryImportError: Error, Equatable, CustomStringConvertible {
    package var line: Int
    package var message: String
    package var description: String { "line \(line): \(message)" }

    package init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

// MARK: - dotenv

extension InventoryImport {
    /// `.env` files as docker compose, node/python dotenv and shells write them.
    ///
    /// Single-quoted values are literal and must close on their own line; double-quoted values
    /// understand `\n`, `\t`, `\"` and `\\` (other escapes are kept verbatim, backslash included)
    /// and may span lines. No `${VAR}` interpolation: the file's literal text is the secret.
    private enum Dotenv {
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

// MARK: - AWS shared credentials / config

extension InventoryImport {
    /// `~/.aws/credentials` and `~/.aws/config`. Only the four secret-bearing keys are returned;
    /// everything else (region, role_arn, nested `s3 =` settings…) is read and skipped.
    /// Unlike botocore, a `#` or `;` after whitespace starts an inline comment: AWS key material
    /// never contains whitespace, so this only ever removes a trailing note.
    private enum AWSCredentials {
        static let secretKeys: Set<String> = [
            "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
        ]

        static func parse(_ lines: [Substring]) throws -> [ImportedValue] {
            var results: [ImportedValue] = []
            var profile: String?
            for (index, rawLine) in lines.enumerated() {
                let lineNumber = index + 1
                let line = trimmed(rawLine)
                if line.isEmpty || line.first == "#" || line.first == ";" { continue }
                if line.first == "[" {
                    profile = try sectionName(line, line: lineNumber)
                    continue
                }
                guard let equals = line.firstIndex(of: "=") else {
                    throw InventoryImportError(line: lineNumber, message: "expected 'key = value', a [section] header or a comment")
                }
                let key = String(trimmed(line[..<equals]))
                guard !key.isEmpty else {
                    throw InventoryImportError(line: lineNumber, message: "missing key name before '='")
                }
                guard let profile else {
                    throw InventoryImportError(line: lineNumber, message: "key '\(key)' appears before any [section] header")
                }
                let canonical = key.lowercased()
                guard secretKeys.contains(canonical) else { continue }
                let value = String(trimmed(stripComment(line[line.index(after: equals)...], markers: ["#", ";"])))
                if !value.isEmpty {
                    results.append(ImportedValue(name: "\(profile):\(canonical)", value: value, line: lineNumber))
                }
            }
            return results
        }

        /// `[name]` → name; `[profile name]` (the config-file spelling) → name.
        static func sectionName(_ line: Substring, line lineNumber: Int) throws -> String {
            guard line.count >= 2, line.last == "]" else {
                throw InventoryImportError(line: lineNumber, message: "malformed section header (expected [name] or [profile name])")
            }
            var name = trimmed(line.dropFirst().dropLast())
            if name.hasPrefix("profile"), let next = name.dropFirst(7).first, isBlank(next) {
                name = trimmed(name.dropFirst(7))
            }
            guard !name.isEmpty else {
                throw InventoryImportError(line: lineNumber, message: "empty section name")
            }
            return String(name)
        }

    }
}

// MARK: - Kubernetes Secret

extension InventoryImport {
    /// Kubernetes Secret manifests, as YAML (one or more `---`-separated documents, non-Secret
    /// documents skipped) or JSON (a Secret, or a `List`/`SecretList` of them, as
    /// `kubectl get -o json` prints). Values under `data` are base64-decoded; values under
    /// `stringData` are taken as they are. A `data` value that decodes to bytes that are not UTF-8
    /// (a keystore, an image…) is skipped: it has no text form to import.
    private enum K8sSecret {
        static func parseYAML(_ lines: [Substring]) throws -> [ImportedValue] {
            var results: [ImportedValue] = []
            for document in try MiniYAML.documents(in: lines) {
                guard case .mapping(let root) = document.root else { continue }
                let kind = scalar(root, "kind")
                if kind == "Secret" {
                    results += try values(of: root, documentLine: document.line)
                } else if let kind, kind.hasSuffix("List"), root.contains(where: { $0.key == "items" }) {
                    let line = root.first(where: { $0.key == "kind" })?.line ?? document.line
                    throw InventoryImportError(
                        line: line,
                        message: "kind: \(kind) is only supported in JSON; use '---'-separated Secret documents for YAML")
                }
            }
            return results
        }

        static func parseJSON(_ text: String) throws -> [ImportedValue] {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            } catch {
                // Foundation's own message may quote the offending input, so only its position is kept.
                throw InventoryImportError(line: JSONLocations.errorLine(error, in: text) ?? 1, message: "invalid JSON")
            }
            guard let dictionary = object as? [String: Any] else {
                throw InventoryImportError(line: 1, message: "expected a JSON object (a Secret or a List of Secrets)")
            }
            let locations = JSONLocations.build(text)
            guard case .mapping(let root) = node(from: dictionary, path: [], locations: locations) else { return [] }
            let rootLine = locations[[]]?.line ?? 1
            let kind = scalar(root, "kind")
            if kind == "Secret" {
                return try values(of: root, documentLine: rootLine)
            }
            guard let kind, kind.hasSuffix("List"), case .sequence(let items)? = root.first(where: { $0.key == "items" })?.value else {
                return []
            }
            var results: [ImportedValue] = []
            for (index, item) in items.enumerated() {
                guard case .mapping(let entries) = item else { continue }
                // Typed lists (SecretList) may leave `kind` off their items.
                let itemKind = scalar(entries, "kind")
                if itemKind == "Secret" || (itemKind == nil && kind == "SecretList") {
                    let line = locations[[.key("items"), .index(index)]]?.line ?? rootLine
                    results += try values(of: entries, documentLine: line)
                }
            }
            return results
        }

        /// The values of one Secret, in file order.
        static func values(of secret: [MiniYAML.Entry], documentLine: Int) throws -> [ImportedValue] {
            guard let metadataEntry = secret.first(where: { $0.key == "metadata" }) else {
                throw InventoryImportError(line: documentLine, message: "Secret has no metadata")
            }
            guard case .mapping(let metadata) = metadataEntry.value else {
                throw InventoryImportError(line: metadataEntry.line, message: "Secret metadata must be a mapping")
            }
            guard let name = scalar(metadata, "name"), !name.isEmpty else {
                throw InventoryImportError(line: metadataEntry.line, message: "Secret has no metadata.name")
            }
            let namespace = scalar(metadata, "namespace").flatMap { $0.isEmpty ? nil : $0 } ?? "default"

            var found: [(position: Int, value: ImportedValue)] = []
            for section in ["data", "stringData"] {
                guard let sectionEntry = secret.first(where: { $0.key == section }) else { continue }
                let entries: [MiniYAML.Entry]
                switch sectionEntry.value {
                case .null: continue
                case .mapping(let mapping): entries = mapping
                default:
                    throw InventoryImportError(line: sectionEntry.line, message: "Secret \(section) must be a mapping")
                }
                for entry in entries {
                    let text: String
                    switch entry.value {
                    case .null: continue
                    case .scalar(let scalar): text = scalar
                    default:
                        throw InventoryImportError(line: entry.line, message: "\(section).\(entry.key) must be a string")
                    }
                    var value = text
                    if section == "data" {
                        guard let bytes = Data(base64Encoded: text) else {
                            throw InventoryImportError(line: entry.line, message: "data.\(entry.key) is not valid base64")
                        }
                        guard let decoded = String(data: bytes, encoding: .utf8) else { continue }
                        value = decoded
                    }
                    if value.isEmpty { continue }
                    let imported = ImportedValue(name: "\(namespace)/\(name):\(section).\(entry.key)", value: value, line: entry.line)
                    found.append((entry.position, imported))
                }
            }
            // `data` and `stringData` may come in either order; report them as the file has them.
            return found.sorted { $0.position < $1.position }.map(\.value)
        }

        static func scalar(_ entries: [MiniYAML.Entry], _ key: String) -> String? {
            guard case .scalar(let value)? = entries.first(where: { $0.key == key })?.value else { return nil }
            return value
        }

        /// Turns JSONSerialization's output into the YAML reader's tree, restoring key order and
        /// line numbers (which Foundation discards) from `locations`.
        static func node(from object: Any, path: [JSONLocations.Component], locations: [[JSONLocations.Component]: JSONLocations.Location])
            -> MiniYAML.Node
        {
            switch object {
            case let string as String:
                return .scalar(string)
            case is NSNull:
                return .null
            case let dictionary as [String: Any]:
                let entries = dictionary.map { key, value -> MiniYAML.Entry in
                    let childPath = path + [.key(key)]
                    let location = locations[childPath] ?? JSONLocations.Location(line: 1, offset: 0)
                    return MiniYAML.Entry(key: key, line: location.line, position: location.offset,
                                          value: node(from: value, path: childPath, locations: locations))
                }
                return .mapping(entries.sorted { ($0.position, $0.key) < ($1.position, $1.key) })
            case let array as [Any]:
                return .sequence(array.enumerated().map { node(from: $1, path: path + [.index($0)], locations: locations) })
            default:
                // Numbers and booleans: nothing a Secret needs.
                return .opaque
            }
        }
    }
}

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
    fileprivate struct MiniYAML {
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

// MARK: - JSON positions

extension InventoryImport {
    /// JSONSerialization keeps neither key order nor positions. This one-pass scan of text that
    /// JSONSerialization has already accepted records where each object key (and each array
    /// element) starts, so JSON results can carry line numbers and come in file order.
    fileprivate enum JSONLocations {
        enum Component: Hashable {
            case key(String)
            case index(Int)
        }

        struct Location {
            var line: Int
            /// UTF-8 offset in the input.
            var offset: Int
        }

        private enum Frame {
            case object(key: String?, expectingKey: Bool)
            case array(index: Int)

            var component: Component? {
                switch self {
                case .object(let key, _): key.map(Component.key)
                case .array(let index): .index(index)
                }
            }
        }

        static func build(_ text: String) -> [[Component]: Location] {
            let bytes = Array(text.utf8)
            var locations: [[Component]: Location] = [:]
            var frames: [Frame] = []
            var line = 1
            var index = 0

            func parentPath() -> [Component] {
                frames.dropLast().compactMap(\.component)
            }
            func valueStarts(at offset: Int) {
                guard let top = frames.last else {
                    locations[[]] = Location(line: line, offset: offset)
                    return
                }
                if case .array(let element) = top {
                    let path = parentPath() + [.index(element)]
                    if locations[path] == nil { locations[path] = Location(line: line, offset: offset) }
                }
            }

            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\n"):
                    line += 1
                    index += 1
                case UInt8(ascii: "\""):
                    let start = index
                    var escaped = false
                    index += 1
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        if bytes[index] == UInt8(ascii: "\\") { escaped = true; index += 1 }
                        index += 1
                    }
                    let raw = Array(bytes[(start + 1)..<min(index, bytes.count)])
                    index += 1
                    if case .object(_, true)? = frames.last {
                        let key = decodeKey(raw, escaped: escaped)
                        frames[frames.count - 1] = .object(key: key, expectingKey: false)
                        locations[parentPath() + [.key(key)]] = Location(line: line, offset: start)
                    } else {
                        valueStarts(at: start)
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    valueStarts(at: index)
                    frames.append(byte == UInt8(ascii: "{") ? .object(key: nil, expectingKey: true) : .array(index: 0))
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if !frames.isEmpty { frames.removeLast() }
                    index += 1
                case UInt8(ascii: ","):
                    switch frames.last {
                    case .object(let key, _)?: frames[frames.count - 1] = .object(key: key, expectingKey: true)
                    case .array(let element)?: frames[frames.count - 1] = .array(index: element + 1)
                    case nil: break
                    }
                    index += 1
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: ":"):
                    index += 1
                default:
                    // A number, true, false or null.
                    valueStarts(at: index)
                    while index < bytes.count, !",}] \t\r\n".utf8.contains(bytes[index]) { index += 1 }
                }
            }
            return locations
        }

        private static func decodeKey(_ raw: [UInt8], escaped: Bool) -> String {
            if escaped,
               let key = (try? JSONSerialization.jsonObject(with: Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]),
                                                            options: .fragmentsAllowed)) as? String {
                return key
            }
            return String(decoding: raw, as: UTF8.self)
        }

        /// Best effort: Foundation reports where parsing failed in its debug description, as
        /// "line N" on Darwin or "character N" (a UTF-8 offset) on Linux.
        static func errorLine(_ error: any Error, in text: String) -> Int? {
            guard let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else { return nil }
            func number(after label: String) -> Int? {
                guard let range = description.range(of: label) else { return nil }
                return Int(description[range.upperBound...].prefix(while: \.isNumber))
            }
            if let line = number(after: "line ") { return line }
            guard let offset = number(after: "character ") else { return nil }
            return 1 + text.utf8.prefix(offset).count(where: { $0 == UInt8(ascii: "\n") })
        }
    }
}
