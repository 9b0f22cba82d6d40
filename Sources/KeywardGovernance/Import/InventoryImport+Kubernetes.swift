import Foundation
import KeywardCore

// MARK: - Kubernetes Secret

extension InventoryImport {
    /// Kubernetes Secret manifests, as YAML (one or more `---`-separated documents) or JSON (as
    /// `kubectl get -o json` prints). Each document is a Secret, or a `List`/`SecretList` of them;
    /// other kinds are skipped. Values under `data` are base64-decoded; values under `stringData`
    /// are taken as they are. A `data` value that decodes to bytes that are not UTF-8 (a
    /// keystore, an image…) is skipped: it has no text form to import.
    ///
    /// Both readers (`InventoryImport+KubernetesYAML.swift`, `InventoryImport+KubernetesJSON.swift`)
    /// turn the text into the small tree below, so a Secret is read the same way from either.
    enum K8sSecret {
        indirect enum Node {
            case null
            case scalar(String)
            case mapping([Entry])
            case sequence([Located])
            /// A scalar carrying a YAML tag other than a string's (`!!binary`, `!custom`): its text
            /// is not the value Kubernetes would see, so it is refused where a value is read.
            case tagged(String)
            /// Content a Secret never needs as text (JSON numbers and booleans).
            case opaque
        }

        struct Entry {
            var key: String
            /// Where the key starts: 1-based line, and 1-based column (Unicode scalars) when the
            /// reader reports one (YAML; JSON errors keep naming the line only).
            var line: Int
            var column: Int?
            /// Orders entries as they appear in the input (a byte offset for JSON, line and
            /// column for YAML).
            var position: Int
            var value: Node

            func error(_ message: String) -> InventoryImportError {
                InventoryImportError(line: line, column: column, message: message)
            }
        }

        /// A document's root or a sequence's item, and where it starts.
        struct Located {
            var line: Int
            var column: Int?
            var node: Node
        }

        static func parse(_ text: String) throws -> [ImportedValue] {
            let documents = text.first(where: { !$0.isWhitespace }) == "{" ? [try JSONReader.document(text)] : try YAMLReader.documents(text)
            return try documents.flatMap(secrets(in:))
        }

        /// The values of every Secret in one document: the document itself, or the items of a
        /// `List` (typed lists, `SecretList`, may leave `kind` off their items).
        static func secrets(in document: Located) throws -> [ImportedValue] {
            guard case .mapping(let root) = document.node else { return [] }
            let kind = scalar(root, "kind")
            if kind == "Secret" {
                return try values(of: root, at: document)
            }
            guard let kind, kind.hasSuffix("List"), case .sequence(let items)? = root.first(where: { $0.key == "items" })?.value else {
                return []
            }
            var results: [ImportedValue] = []
            for item in items {
                guard case .mapping(let entries) = item.node else { continue }
                let itemKind = scalar(entries, "kind")
                if itemKind == "Secret" || (itemKind == nil && kind == "SecretList") {
                    results += try values(of: entries, at: item)
                }
            }
            return results
        }

        /// The values of one Secret, in file order.
        static func values(of secret: [Entry], at document: Located) throws -> [ImportedValue] {
            guard let metadataEntry = secret.first(where: { $0.key == "metadata" }) else {
                throw InventoryImportError(line: document.line, column: document.column, message: "Secret has no metadata")
            }
            guard case .mapping(let metadata) = metadataEntry.value else {
                throw metadataEntry.error("Secret metadata must be a mapping")
            }
            guard let name = scalar(metadata, "name"), !name.isEmpty else {
                throw metadataEntry.error("Secret has no metadata.name")
            }
            let namespace = scalar(metadata, "namespace").flatMap { $0.isEmpty ? nil : $0 } ?? "default"

            var found: [(position: Int, value: ImportedValue)] = []
            for section in ["data", "stringData"] {
                guard let sectionEntry = secret.first(where: { $0.key == section }) else { continue }
                let entries: [Entry]
                switch sectionEntry.value {
                case .null: continue
                case .mapping(let mapping): entries = mapping
                default: throw sectionEntry.error("Secret \(section) must be a mapping")
                }
                for entry in entries {
                    let text: String
                    switch entry.value {
                    case .null: continue
                    case .scalar(let scalar): text = scalar
                    case .tagged(let tag): throw entry.error("\(section).\(entry.key) has the tag \(tag); a Secret's values are plain strings")
                    default: throw entry.error("\(section).\(entry.key) must be a string")
                    }
                    var value = text
                    if section == "data" {
                        guard let bytes = Data(base64Encoded: text) else { throw entry.error("data.\(entry.key) is not valid base64") }
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

        static func scalar(_ entries: [Entry], _ key: String) -> String? {
            guard case .scalar(let value)? = entries.first(where: { $0.key == key })?.value else { return nil }
            return value
        }
    }
}
