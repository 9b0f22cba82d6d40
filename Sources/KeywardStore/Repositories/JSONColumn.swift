import Foundation
import KeywardCore

/// JSON text columns (labels, scope lists), written with sorted keys.
enum JSONColumn {
    static func encode<T: Encodable>(_ value: T) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: enc.encode(value), as: UTF8.self)) ?? "null"
    }

    static func encodeRateLimit(_ limit: RateLimit?) -> String? { limit.map { encode($0) } }

    /// A stored limit, validated again (a hand-edited row with an impossible limit is corrupt, not obeyed).
    static func decodeRateLimit(_ text: String?) throws -> RateLimit? {
        guard let text else { return nil }
        let raw = try decode(RateLimit.self, from: text)
        guard let limit = RateLimit(limit: raw.limit, periodSeconds: raw.periodSeconds, burst: raw.burst) else {
            throw StoreError.corrupt("rate limit out of range")
        }
        return limit
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw StoreError.corrupt("unreadable JSON column")
        }
    }
}

/// Opaque list cursors: base64url of the last id returned.
package enum PageCursor {
    package static func encode(_ lastID: String) -> String {
        Data(lastID.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    package static func decode(_ cursor: String) -> String? {
        var s = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        guard s.utf8.count <= 200, let d = Data(base64Encoded: s), let text = String(data: d, encoding: .utf8) else { return nil }
        return text
    }
}

/// One page of a list.
package struct Page<Item: Sendable>: Sendable {
    package var items: [Item]
    package var nextCursor: String?
}
