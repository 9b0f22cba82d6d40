import Foundation

// MARK: - Kubernetes Secret

extension InventoryImport {
    /// Kubernetes Secret manifests, as YAML (one or more `---`-separated documents, non-Secret
    /// documents skipped) or JSON (a Secret, or a `List`/`SecretList` of them, as
    /// `kubectl get -o json` prints). Values under `data` are base64-decoded; values under
    /// `stringData` are taken as they are. A `data` value that decodes to bytes that are not UTF-8
    /// (a keystore, an image…) is skipped: it has no text form to import.
    enum K8sSecret {
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

