import Foundation
import KeywardCore

// MARK: - Kubernetes Secret, JSON

extension InventoryImport.K8sSecret {
    /// Reads a JSON manifest (what `kubectl get -o json` prints) into the Secret tree.
    ///
    /// Hand-written on purpose: Foundation's JSONSerialization decides what is valid JSON (YAML
    /// readers accept more, and differ on tabs and duplicate keys), and `JSONLocations` restores
    /// the key order and line numbers it discards.
    enum JSONReader {
        typealias Component = JSONLocations.Component

        static func document(_ text: String) throws -> Located {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            } catch {
                // Foundation's own message may quote the offending input, so only its position is kept.
                throw InventoryImportError(line: JSONLocations.errorLine(error, in: text) ?? 1, message: "invalid JSON")
            }
            guard object is [String: Any] else {
                throw InventoryImportError(line: 1, message: "expected a JSON object (a Secret or a List of Secrets)")
            }
            let locations = JSONLocations.build(text)
            return Located(line: locations[[]]?.line ?? 1, column: nil, node: node(from: object, path: [], locations: locations))
        }

        /// Turns JSONSerialization's output into the Secret tree, restoring key order and line
        /// numbers (which Foundation discards) from `locations`.
        static func node(from object: Any, path: [Component], locations: [[Component]: JSONLocations.Location]) -> Node {
            switch object {
            case let string as String:
                return .scalar(string)
            case is NSNull:
                return .null
            case let dictionary as [String: Any]:
                let entries = dictionary.map { key, value -> Entry in
                    let childPath = path + [.key(key)]
                    let location = locations[childPath] ?? JSONLocations.Location(line: 1, offset: 0)
                    return Entry(key: key, line: location.line, column: nil, position: location.offset,
                                 value: node(from: value, path: childPath, locations: locations))
                }
                return .mapping(entries.sorted { ($0.position, $0.key) < ($1.position, $1.key) })
            case let array as [Any]:
                return .sequence(array.enumerated().map { index, element in
                    let childPath = path + [.index(index)]
                    let line = locations[childPath]?.line ?? locations[path]?.line ?? 1
                    return Located(line: line, column: nil, node: node(from: element, path: childPath, locations: locations))
                })
            default:
                // Numbers and booleans: nothing a Secret needs.
                return .opaque
            }
        }
    }

    /// JSONSerialization keeps neither key order nor positions. This one-pass scan of text that
    /// JSONSerialization has already accepted records where each object key (and each array
    /// element) starts, so JSON results can carry line numbers and come in file order.
    enum JSONLocations {
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
