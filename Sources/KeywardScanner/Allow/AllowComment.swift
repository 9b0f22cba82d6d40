import Foundation

/// `keyward:allow <reason>` anywhere on a finding's line, in any comment syntax, suppresses it.
/// The reason is required: it is what a reviewer reads, and what SARIF records as the
/// suppression's justification. A bare marker suppresses nothing (and the scan warns).
package enum AllowComment {
    static let marker = Array("keyward:allow".utf8)

    /// What the line says: nil when it has no marker, "" when the marker has no reason.
    package static func reason<C: Collection>(inLine line: C) -> String? where C.Element == UInt8 {
        let bytes = Array(line)
        guard bytes.count >= marker.count, let at = find(marker, in: bytes) else { return nil }
        var rest = String(decoding: bytes[(at + marker.count)...], as: UTF8.self)
        // Comment closers and separators around the reason are not part of it.
        for closer in ["*/", "-->", "#}", "%>", "%}", "\"\"\"", "'''"] {
            if let r = rest.range(of: closer, options: .backwards) { rest = String(rest[..<r.lowerBound]) }
        }
        let trimmed = rest.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: ":=-—\t\r")))
        let safe = String(trimmed.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init).prefix(200))
        return safe.unicodeScalars.contains(where: { CharacterSet.alphanumerics.contains($0) }) ? safe : ""
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }
}
