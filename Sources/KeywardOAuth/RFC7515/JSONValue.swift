/// A JSON value as JOSE headers and claim sets hold it (RFC 8259). Numbers are `Double`: every
/// JOSE number (NumericDate, sizes) fits, and integers up to 2^53 stay exact.
package enum JSONValue: Sendable, Equatable {
    case string(String), number(Double), bool(Bool), null, array([JSONValue]), object([String: JSONValue])

    package var stringValue: String? {
        if case .string(let s) = self { s } else { nil }
    }

    package var numberValue: Double? {
        if case .number(let n) = self { n } else { nil }
    }

    package var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { o } else { nil }
    }

    package var arrayValue: [JSONValue]? {
        if case .array(let a) = self { a } else { nil }
    }
}
