import Foundation
import KeywardCore
import Yams

// MARK: - Kubernetes Secret, YAML

extension InventoryImport.K8sSecret {
    /// Reads YAML manifests with Yams (libyaml) into the Secret tree: every document of a
    /// `---`-separated stream, with anchors and aliases, merge keys (`<<`), flow collections,
    /// block scalars and quoted keys. Each key keeps the line and column Yams reports for it.
    ///
    /// Error messages are built from libyaml's problem and context (fixed texts) and positions
    /// only: Yams' own descriptions quote the input, which may hold a secret.
    enum YAMLReader {
        static func documents(_ text: String) throws -> [Located] {
            var converter = Converter(budget: 2 * text.utf8.count + 1_024)
            var documents: [Located] = []
            try refuseAliasKeys(text)
            do {
                let parser = try Parser(yaml: text)
                while let root = try parser.nextRoot() {
                    documents.append(try converter.located(root))
                }
            } catch let error as YamlError {
                throw importError(error, in: text)
            }
            return documents
        }

        /// Turns Yams' nodes into the Secret tree. Yams resolves an alias to the node its anchor
        /// names, shared, not copied; `budget` caps the nodes visited, so a document whose aliases
        /// nest into billions of nodes ("billion laughs") is refused instead of expanded.
        struct Converter {
            var budget: Int

            mutating func located(_ node: Yams.Node) throws -> Located {
                let (line, column) = place(node.mark)
                return Located(line: line, column: column, node: try convert(node))
            }

            /// A node's line and column (Yams gives every node it reads one).
            func place(_ mark: Mark?) -> (line: Int, column: Int) {
                (mark?.line ?? 1, mark?.column ?? 1)
            }

            mutating func convert(_ node: Yams.Node) throws -> Node {
                budget -= 1
                guard budget >= 0 else {
                    let (line, column) = place(node.mark)
                    throw InventoryImportError(line: line, column: column,
                                               message: "aliases expand this document far beyond its own size; it is not read")
                }
                switch node {
                case .scalar(let scalar): return Self.scalar(node, scalar)
                case .mapping(let mapping): return .mapping(try entries(of: mapping))
                case .sequence(let sequence): return .sequence(try sequence.map { try located($0) })
                // Yams' parser resolves aliases to their anchor's node; it never leaves one in the tree.
                case .alias: return .opaque
                }
            }

            /// A scalar's text, or null (`~`, `null`, nothing), or the tag it carries when that tag
            /// is not one of YAML's plain types (`!!binary`, `!custom`).
            static func scalar(_ node: Yams.Node, _ scalar: Yams.Node.Scalar) -> Node {
                let tag = Tag.Name(rawValue: node.tag.description)
                switch tag {
                case .null: return .null
                case .str, .int, .float, .bool, .timestamp, .merge, .value: return .scalar(scalar.string)
                default:
                    let short = tag.rawValue.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.rawValue.dropFirst(18) : tag.rawValue
                    return .tagged(String(short.prefix(60)))
                }
            }

            /// A mapping's entries; those a merge key (`<<: *base`, `<<: [*a, *b]`) brings in come
            /// after, and give way to, the keys written in the mapping itself (YAML's merge rule).
            mutating func entries(of mapping: Yams.Node.Mapping) throws -> [Entry] {
                var own: [Entry] = []
                var merged: [Entry] = []
                for (key, value) in mapping {
                    let mark = place(key.mark ?? mapping.mark)
                    guard case .scalar(let keyScalar) = key else {
                        throw InventoryImportError(line: mark.line, column: mark.column, message: "a mapping key must be a string, not a list or a mapping")
                    }
                    if Tag.Name(rawValue: key.tag.description) == .merge {
                        let sources = value.sequence.map(Array.init) ?? [value]
                        for source in sources {
                            guard case .mapping(let inner) = source else {
                                throw InventoryImportError(line: mark.line, column: mark.column, message: "'<<' merges a mapping or a list of mappings")
                            }
                            merged += try entries(of: inner)
                        }
                        continue
                    }
                    own.append(Entry(key: keyScalar.string, line: mark.line, column: mark.column,
                                     position: mark.line << 32 | mark.column, value: try convert(value)))
                }
                var seen = Set(own.map(\.key))
                return own + merged.filter { seen.insert($0.key).inserted }
            }
        }

        /// Yams checks a mapping for duplicate keys by hashing each key whole, aliases expanded,
        /// before the converter's budget can apply: one alias key naming nested aliases would
        /// hash billions of nodes. Yams has no hook for this, so this hand-written line check
        /// refuses, in a file that defines anchors, an alias in a key and any explicit `? ` key
        /// (Kubernetes keys are strings; the earlier reader refused both).
        static func refuseAliasKeys(_ text: String) throws {
            guard text.contains("&"), text.contains(try Regex(#"(^|[\s\[{,:-])&[A-Za-z0-9_-]"#)) else { return }
            let patterns = [
                try Regex(#"(^|[\s\[{,?:-])\*[A-Za-z0-9_-]+\s*:(\s|$|[\]},])"#),           // *alias: value
                try Regex(#"[\]}]\s*:(\s|$|[,\]}])"#),                                     // [..]: or {..}: a collection as a key
                try Regex(#"^\s*(-\s+)*\?(\s|$)"#),                                         // ? key
            ]
            for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: isBreak).enumerated() {
                for pattern in patterns {
                    if let match = line.firstMatch(of: pattern) {
                        let column = line.unicodeScalars.distance(from: line.startIndex, to: match.range.lowerBound) + 1
                        throw InventoryImportError(line: index + 1, column: column,
                                                   message: "an alias or '? ' in a mapping key is not supported in a file with anchors; Secret keys are strings")
                    }
                }
            }
        }

        /// A message from libyaml's problem and context and their positions, never the input.
        static func importError(_ error: YamlError, in text: String) -> InventoryImportError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                var message = problem
                if let context {
                    message += " " + context.text
                    if (context.mark.line, context.mark.column) != (mark.line, mark.column) {
                        message += " that starts at line \(context.mark.line), column \(context.mark.column)"
                    }
                }
                if character(in: text, at: mark) == "\t" { message += " (a tab: YAML indents with spaces only)" }
                return InventoryImportError(line: mark.line, column: mark.column, message: message)
            case .duplicatedKeysInMapping(let duplicates, let context):
                let keys = duplicates.map { "'\($0.prefix(80))'" }.joined(separator: ", ")
                return InventoryImportError(line: context.mark.line, column: context.mark.column,
                                            message: "duplicate key \(keys) in one mapping (here is its first use)")
            case .reader(let problem, let offset, _, _):
                let line = offset.map { 1 + text.prefix($0).count(where: isBreak) } ?? 1
                return InventoryImportError(line: line, message: "\(problem) (the file is not readable YAML text)")
            default:
                return InventoryImportError(line: 1, message: "the file could not be read as YAML")
            }
        }

        /// The character at a libyaml position (1-based line, and column in Unicode scalars).
        static func character(in text: String, at mark: Mark) -> Character? {
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: isBreak)
            guard mark.line >= 1, mark.line <= lines.count else { return nil }
            let scalars = lines[mark.line - 1].unicodeScalars
            guard mark.column >= 1, mark.column <= scalars.count else { return nil }
            return Character(scalars[scalars.index(scalars.startIndex, offsetBy: mark.column - 1)])
        }

        /// YAML's line breaks (libyaml also counts NEL, LS and PS).
        static func isBreak(_ character: Character) -> Bool {
            ["\n", "\r\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(character)
        }
    }
}
