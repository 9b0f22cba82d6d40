import Foundation

/// The JSON conventions of the wire: snake_case keys, RFC 3339 dates. Server and CLI share them.
package enum WireCoding {
    package static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    package static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        // RFC 3339 date-times, with or without fractional seconds, any offset.
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            if let date = parseRFC3339(text) { return date }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an RFC 3339 date-time")
        }
        return d
    }

    package static func parseRFC3339(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = fractional.date(from: text) { return d }
        // Lower-case `t`/`z` are allowed by RFC 3339 §5.6.
        let upper = text.uppercased()
        return upper != text ? (plain.date(from: upper) ?? fractional.date(from: upper)) : nil
    }
}

/// `{items, next_cursor}`: every list.
package struct ListResponse<Item: Codable & Sendable>: Codable, Sendable {
    package var items: [Item]
    package var nextCursor: String?
    package init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// RFC 9457 problem details, with Keyward's extensions `rule` (policy) and `request_id`.
package struct Problem: Codable, Sendable, Error {
    package var type: String
    package var title: String
    package var status: Int
    package var detail: String
    package var rule: String?
    package var requestId: String?
    package init(type: String, title: String, status: Int, detail: String, rule: String? = nil, requestId: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.rule = rule
        self.requestId = requestId
    }
}

package struct HealthResponse: Codable, Sendable {
    package var status: String
    package init(status: String) { self.status = status }
}
