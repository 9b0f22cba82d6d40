import Foundation

/// The JSON Governance writes for others to read (webhook bodies, an incident's blast radius and
/// hunt): the wire's conventions (`KeywardAPI.WireCoding`: snake_case keys, RFC 3339 dates,
/// sorted keys), so the server decodes them as wire types and receivers see one format.
enum StoredJSON {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// Stored JSON read back (nil if it is not a `T`).
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) -> T? {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .iso8601
        return try? d.decode(T.self, from: Data(json.utf8))
    }

    /// `value` as stored JSON, or `null` if it cannot be encoded.
    static func string<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: encoder().encode(value), as: UTF8.self)) ?? "null"
    }
}
