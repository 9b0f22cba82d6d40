import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardStore
import NIOCore

/// The one place errors become HTTP: RFC 9457 problem+json with
/// `type: urn:keyward:error:<area>:<name>`. An unknown error is a 500 with only the request id.
enum ProblemResponse {
    static func status(for code: KeywardError.Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest: return .badRequest
        case .validation, .policyDenied: return .unprocessableContent
        case .payloadTooLarge: return .contentTooLarge
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .unauthorized: return .unauthorized
        case .forbidden: return .forbidden
        case .conflict: return .conflict
        case .unavailable: return .serviceUnavailable
        case .rateLimited: return .tooManyRequests
        default: return .internalServerError
        }
    }

    static func make(_ error: KeywardError, requestID: String, extraHeaders: HTTPFields = [:]) -> Response {
        let status = status(for: error.code)
        let problem = Problem(type: "urn:keyward:error:\(error.code)", title: status.reasonPhrase, status: status.code,
                              detail: error.message, rule: error.rule, requestId: requestID)
        var headers = extraHeaders
        headers[.contentType] = "application/problem+json"
        if error.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"keyward\"" }
        if error.code == .unavailable || error.code == .rateLimited { headers[.retryAfter] = String(max(1, error.retryAfter ?? 1)) }
        let body = (try? WireCoding.encoder().encode(problem)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Maps anything thrown by a route to a KeywardError whose message is safe to send.
    static func classify(_ error: any Error) -> KeywardError {
        switch error {
        case let e as KeywardError:
            return e
        case let e as HTTPError:
            switch e.status {
            case .contentTooLarge: return KeywardError(.payloadTooLarge, "the request body exceeds the limit")
            case .notFound: return KeywardError(.notFound, "no such route")
            case .unsupportedMediaType: return KeywardError(.badRequest, "the body must be application/json")
            default:
                if (400..<500).contains(e.status.code) { return KeywardError(.badRequest, e.status.reasonPhrase) }
                return KeywardError(.internalError, "internal error")
            }
        case is NIOTooManyBytesError:
            return KeywardError(.payloadTooLarge, "the request body exceeds the limit")
        case let e as DecodingError:
            return KeywardError(.badRequest, describe(e))
        case let e as StoreError:
            if case .unavailable(let m) = e { return KeywardError(.unavailable, Self.unavailableDetail(m)) }
            return KeywardError(.internalError, "internal error", detail: "store")
        default:
            return KeywardError(.internalError, "internal error", detail: String(describing: type(of: error)))
        }
    }

    /// A PostgreSQL that is down says so (the operator's first question); other faults stay
    /// generic (a full disk or a file error is logged, not told). The internal reason stays in the log.
    static func unavailableDetail(_ reason: String) -> String {
        if reason.hasPrefix("PostgreSQL connection") || reason.hasPrefix("cannot reconnect to PostgreSQL") || reason.hasPrefix("database connection") {
            return "the PostgreSQL database is unreachable (down, restarting or refusing connections); retry later"
        }
        if reason.hasPrefix("PostgreSQL") { return "the PostgreSQL database refused the change (the server's log has its reason); retry later" }
        return "the store is unavailable; retry later"
    }

    /// A decoding error described by field path and expectation only, never by value.
    static func describe(_ e: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String {
            let parts = p.map { k -> String in
                if let i = k.intValue { return "[\(i)]" }
                let s = k.stringValue
                return s.utf8.count <= 40 && s.utf8.allSatisfy({ (0x61...0x7A).contains($0) || $0 == 0x5F || (0x41...0x5A).contains($0) }) ? s : "…"
            }
            return parts.isEmpty ? "the body" : parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        func snake(_ s: String) -> String {
            var out = ""
            for c in s { if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) } }
            return out
        }
        switch e {
        case .keyNotFound(let key, let ctx):
            return "missing field \(snake(path(ctx.codingPath + [key])))"
        case .typeMismatch(let type, let ctx):
            return "\(snake(path(ctx.codingPath))): expected \(describe(type))"
        case .valueNotFound(let type, let ctx):
            return "\(snake(path(ctx.codingPath))): expected \(describe(type)), got null"
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty { return "the body is not valid JSON" }
            return "\(snake(path(ctx.codingPath))): invalid value"
        @unknown default:
            return "the body could not be decoded"
        }
    }

    private static func describe(_ t: Any.Type) -> String {
        switch t {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Bool.Type: return "a boolean"
        case is Double.Type: return "a number"
        default:
            let n = String(describing: t)
            if n.hasPrefix("Array") { return "an array" }
            if n.hasPrefix("Dictionary") { return "an object" }
            return "a value of another type"
        }
    }
}
