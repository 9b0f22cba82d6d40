import Foundation

// MARK: - JSON positions

extension InventoryImport {
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
