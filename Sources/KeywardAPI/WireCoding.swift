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
        d.dateDecodingStrategy = .iso8601
        return d
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
