import Foundation

/// The one error type of Keyward: a stable `code`, a public `message` safe to show to any
/// client, and an internal `detail` that only reaches server logs (never a secret either).
package struct KeywardError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case badRequest = "request:bad_request"
            case validation = "request:validation"
            case payloadTooLarge = "request:payload_too_large"
            case notFound = "request:not_found"
            case methodNotAllowed = "request:method_not_allowed"
            case unauthorized = "auth:unauthorized"
            case forbidden = "auth:forbidden"
            case policyDenied = "policy:denied"
            case conflict = "state:conflict"
            case rateLimited = "request:rate_limited"
            case unavailable = "server:unavailable"
            case internalError = "server:internal"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        package static let badRequest = Code(.badRequest)
        package static let validation = Code(.validation)
        package static let payloadTooLarge = Code(.payloadTooLarge)
        package static let notFound = Code(.notFound)
        package static let methodNotAllowed = Code(.methodNotAllowed)
        package static let unauthorized = Code(.unauthorized)
        package static let forbidden = Code(.forbidden)
        package static let policyDenied = Code(.policyDenied)
        package static let conflict = Code(.conflict)
        /// 429 with `Retry-After` (a quota or rate limit).
        package static let rateLimited = Code(.rateLimited)
        /// 503 with `Retry-After`: a fault that a retry may get past (storage, a stale index).
        package static let unavailable = Code(.unavailable)
        package static let internalError = Code(.internalError)

        /// `area:name`, used in problem+json `type: urn:keyward:error:<area>:<name>`.
        package var description: String { base.rawValue }
    }

    package let code: Code
    package let message: String
    package let detail: String?
    /// For `policyDenied`: the rule that failed (e.g. `lifetime.exceeds_maximum`).
    package let rule: String?
    /// For `unavailable` and `rateLimited`: seconds a client should wait (HTTP `Retry-After`); default 1.
    package let retryAfter: Int?

    package init(_ code: Code, _ message: String, detail: String? = nil, rule: String? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.rule = rule
        self.retryAfter = retryAfter
    }

    package var description: String {
        "KeywardError(\(code): \(message)\(detail.map { " — \($0)" } ?? ""))"
    }

    package static func notFound(_ what: String) -> KeywardError {
        KeywardError(.notFound, "\(what) not found")
    }

    package static func validation(_ message: String) -> KeywardError {
        KeywardError(.validation, message)
    }
}
