import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardStore
import NIOCore

/// Reading JSON bodies under the size limit, writing JSON responses.
package struct JSONIO: Sendable {
    let maxBodyBytes: Int

    /// The body, under the size limit and only as JSON.
    private func collect(_ request: Request) async throws -> ByteBuffer {
        if !Self.isJSON(request.headers[.contentType]) {
            throw KeywardError(.badRequest, "the body must be application/json")
        }
        var request = request
        do {
            return try await request.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw KeywardError(.payloadTooLarge, "the request body exceeds \(maxBodyBytes) bytes")
        } catch let e as HTTPError where e.status == .contentTooLarge {
            throw KeywardError(.payloadTooLarge, "the request body exceeds \(maxBodyBytes) bytes")
        }
    }

    /// No Content-Type, or the media type `application/json` with any parameters (RFC 8259 §11;
    /// RFC 9110 §8.3.1: type and subtype are case-insensitive). `application/jsonx` is not JSON.
    /// Shared with `VerifyFastPath`.
    /// On the bytes, without Foundation's character sets: trimming with them was 6% of the verify
    /// fast path's CPU (perf, bench verify). Whitespace around the type is HTTP's OWS (space, tab).
    package static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return true }
        var bytes = contentType.utf8[...]
        if let semicolon = bytes.firstIndex(of: UInt8(ascii: ";")) { bytes = bytes[..<semicolon] }
        let ows: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        while let first = bytes.first, ows(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, ows(last) { bytes = bytes.dropLast() }
        let json = "application/json".utf8
        guard bytes.count == json.count else { return false }
        // ASCII lower-casing: a non-ASCII byte never equals a byte of "application/json".
        return zip(bytes, json).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }

    private func decodeCodable<T: Decodable>(_ type: T.Type, _ bytes: Data) throws -> T {
        do {
            return try WireCoding.decoder().decode(T.self, from: bytes)
        } catch let e as DecodingError {
            throw KeywardError(.badRequest, ProblemResponse.describe(e))
        }
    }

    /// Decodes the body. An empty body decodes as `{}` when `emptyIsObject` (optional bodies).
    func decode<T: Decodable>(_ type: T.Type, from request: Request, emptyIsObject: Bool = false) async throws -> T {
        var bytes = Data(try await collect(request).readableBytesView)
        if bytes.isEmpty {
            guard emptyIsObject else { throw KeywardError(.badRequest, "the request needs a JSON body") }
            bytes = Data("{}".utf8)
        }
        return try decodeCodable(T.self, bytes)
    }

    /// Decodes a required body and returns its size in bytes too (quotas).
    func decodeCounted<T: Decodable>(_ type: T.Type, from request: Request) async throws -> (T, Int) {
        let bytes = Data(try await collect(request).readableBytesView)
        guard !bytes.isEmpty else { throw KeywardError(.badRequest, "the request needs a JSON body") }
        return (try decodeCodable(T.self, bytes), bytes.count)
    }

    /// Like `decode`, but tries `fast` on the raw body first (nil falls back to Codable).
    func decodeFast<T: Decodable>(_ type: T.Type, from request: Request, fast: (ByteBuffer) -> T?) async throws -> T {
        let buffer = try await collect(request)
        if let v = fast(buffer) { return v }
        guard buffer.readableBytes > 0 else { throw KeywardError(.badRequest, "the request needs a JSON body") }
        return try decodeCodable(T.self, Data(buffer.readableBytesView))
    }

    func respond<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try WireCoding.encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// A query parameter as an integer in `range`, or the default; a bad value is a 400.
    func intQuery(_ name: String, default def: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = uri.queryParameters.get(name) else { return def }
        guard let v = Int(raw), range.contains(v) else {
            throw KeywardError(.badRequest, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }
}

extension KeywardRequestContext {
    /// A typed id from the path; malformed ids are a 404 (they name nothing), never echoed.
    func pathID<ID: TypedID>(_ type: ID.Type, _ name: String = "id") throws -> ID {
        guard let raw = parameters.get(name), let id = ID(raw) else {
            throw KeywardError(.notFound, "no \(Self.noun(ID.prefix)) with that id")
        }
        return id
    }

    static func noun(_ prefix: String) -> String {
        switch prefix {
        case "idn": "identity"
        case "key": "key"
        case "inc": "incident"
        case "csm": "consumer"
        case "crd": "credential"
        case "whk": "webhook"
        case "cli": "client"
        default: "object"
        }
    }
}

extension Request {
    /// `?cursor=` decoded to the id it stands for; anything else is a 400.
    func cursorQuery<ID: TypedID>(_ type: ID.Type) throws -> String? {
        try uri.queryParameters.get("cursor").map { c -> String in
            guard let v = PageCursor.decode(c), ID(v) != nil else { throw KeywardError(.badRequest, "cursor is not valid") }
            return v
        }
    }
}
