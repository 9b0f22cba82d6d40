import Foundation
import KeywardAPI
import KeywardVerify
import NIOCore

/// A fast reader and writer for the verify wire shapes, the one hot path of the server.
///
/// Hand-written because Foundation's JSONDecoder/JSONEncoder (with snake_case key conversion
/// and date formatting) cost several times the whole rest of a verify, and the benchmark
/// target (verify ≥ 0.9× /healthz throughput) leaves no room for that. The reader accepts only
/// the plain common shape — an object whose members are `key`, `scopes`, `source`, and for an
/// access token `dpop`, `htm`, `htu`, `audience`, with string values free of escapes — and returns nil for anything else, in which case the caller falls
/// back to the Codable path (same result, proper error messages). Both paths are tested to agree.
package enum VerifyCodec {
    package static func decode(_ buf: ByteBuffer) -> VerifyRequest? {
        buf.withUnsafeReadableBytes { raw -> VerifyRequest? in
            var p = Parser(bytes: raw)
            return p.request()
        }
    }

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func ws() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func eat(_ c: UInt8) -> Bool {
            ws()
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }

        /// A string without escapes or control characters (else nil: use the full decoder).
        mutating func string() -> String? {
            guard eat(0x22) else { return nil }
            let start = i
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x22 {
                    // Invalid UTF-8 is left to the full decoder, which rejects it.
                    guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self) else { return nil }
                    i += 1
                    return s
                }
                if c == 0x5C || c < 0x20 { return nil }
                i += 1
            }
            return nil
        }

        mutating func strings() -> [String]? {
            guard eat(0x5B) else { return nil }
            var out: [String] = []
            if eat(0x5D) { return out }
            repeat {
                guard let s = string() else { return nil }
                out.append(s)
            } while eat(0x2C)
            return eat(0x5D) ? out : nil
        }

        mutating func source() -> VerifySourceDTO? {
            guard eat(0x7B) else { return nil }
            var s = VerifySourceDTO()
            if eat(0x7D) { return s }
            repeat {
                guard let name = string(), eat(0x3A), let value = string() else { return nil }
                switch name {
                case "ip": s.ip = value
                case "user_agent": s.userAgent = value
                case "client_cert_subject": s.clientCertSubject = value
                case "client_cert_thumbprint": s.clientCertThumbprint = value
                case "method": s.method = value
                case "path": s.path = value
                default: return nil
                }
            } while eat(0x2C)
            return eat(0x7D) ? s : nil
        }

        mutating func request() -> VerifyRequest? {
            guard eat(0x7B) else { return nil }
            var key: String?
            var scopes: [String]?
            var source: VerifySourceDTO?
            // An access token's presentation (a DPoP proof and the request it came with).
            var dpop: String?, htm: String?, htu: String?, audience: String?
            repeat {
                guard let name = string(), eat(0x3A) else { return nil }
                switch name {
                case "key" where key == nil: key = string(); if key == nil { return nil }
                case "scopes" where scopes == nil: scopes = strings(); if scopes == nil { return nil }
                case "source" where source == nil: source = self.source(); if source == nil { return nil }
                case "dpop" where dpop == nil: dpop = string(); if dpop == nil { return nil }
                case "htm" where htm == nil: htm = string(); if htm == nil { return nil }
                case "htu" where htu == nil: htu = string(); if htu == nil { return nil }
                case "audience" where audience == nil: audience = string(); if audience == nil { return nil }
                default: return nil
                }
            } while eat(0x2C)
            guard eat(0x7D) else { return nil }
            ws()
            guard i == bytes.count, let key else { return nil }
            var request = VerifyRequest(key: key, scopes: scopes, source: source)
            request.dpop = dpop
            request.htm = htm
            request.htu = htu
            request.audience = audience
            return request
        }
    }

    /// Writes the response with the same keys, order and formats as the Codable encoder
    /// (sorted keys, RFC 3339 dates), escaping strings as JSON requires.
    package static func encode(_ r: VerifyResponse, into buf: inout ByteBuffer) {
        buf.writeStaticString("{")
        var first = true
        func key(_ name: StaticString, _ buf: inout ByteBuffer) {
            if !first { buf.writeStaticString(",") }
            first = false
            buf.writeStaticString("\"")
            buf.writeStaticString(name)
            buf.writeStaticString("\":")
        }
        if let v = r.clientId { key("client_id", &buf); writeString(v, &buf) }
        if let v = r.dpopNonce { key("dpop_nonce", &buf); writeString(v, &buf) }
        if let d = r.expiresAt { key("expires_at", &buf); writeString(rfc3339(d), &buf) }
        if let v = r.identityId { key("identity_id", &buf); writeString(v, &buf) }
        if let v = r.keyId { key("key_id", &buf); writeString(v, &buf) }
        if let v = r.ratelimit {
            key("ratelimit", &buf)
            buf.writeStaticString("{\"limit\":")
            buf.writeString(String(v.limit))
            buf.writeStaticString(",\"remaining\":")
            buf.writeString(String(v.remaining))
            buf.writeStaticString(",\"reset\":")
            buf.writeString(String(v.reset))
            if let r = v.retryAfter {
                buf.writeStaticString(",\"retry_after\":")
                buf.writeString(String(r))
            }
            buf.writeStaticString("}")
        }
        if let v = r.reason { key("reason", &buf); writeString(v, &buf) }
        if let v = r.scopes {
            key("scopes", &buf)
            buf.writeStaticString("[")
            for (n, s) in v.enumerated() {
                if n > 0 { buf.writeStaticString(",") }
                writeString(s, &buf)
            }
            buf.writeStaticString("]")
        }
        if let v = r.tokenId { key("token_id", &buf); writeString(v, &buf) }
        key("valid", &buf)
        if r.valid { buf.writeStaticString("true") } else { buf.writeStaticString("false") }
        if let v = r.version { key("version", &buf); buf.writeString(String(v)) }
        buf.writeStaticString("}")
    }

    /// A JSON string literal: the runs that need no escape are copied whole (an access token is
    /// hundreds of bytes, and byte-at-a-time writes showed in the token endpoint's profile).
    static func writeString(_ s: String, _ buf: inout ByteBuffer) {
        buf.writeStaticString("\"")
        var s = s
        s.withUTF8 { bytes in
            var run = 0
            for i in bytes.indices {
                let b = bytes[i]
                guard b == 0x22 || b == 0x5C || b < 0x20 else { continue }
                buf.writeBytes(UnsafeBufferPointer(rebasing: bytes[run..<i]))
                run = i + 1
                switch b {
                case 0x22: buf.writeStaticString("\\\"")
                case 0x5C: buf.writeStaticString("\\\\")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    let digits = hex.utf8Start
                    buf.writeBytes([0x5C, 0x75, 0x30, 0x30, digits[Int(b >> 4)], digits[Int(b & 0xF)]])
                }
            }
            buf.writeBytes(UnsafeBufferPointer(rebasing: bytes[run...]))
        }
        buf.writeStaticString("\"")
    }

    /// `yyyy-MM-ddTHH:mm:ssZ`, as JSONEncoder's `.iso8601` writes it.
    static func rfc3339(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        let fields: [(Int32, Int, UInt8)] = [(tm.tm_year + 1900, 4, 0x2D), (tm.tm_mon + 1, 2, 0x2D), (tm.tm_mday, 2, 0x54),
                                             (tm.tm_hour, 2, 0x3A), (tm.tm_min, 2, 0x3A), (tm.tm_sec, 2, 0x5A)]
        return String(unsafeUninitializedCapacity: 20) { out in
            var i = 0
            for (value, width, sep) in fields {
                var v = Int(value)
                for j in stride(from: i + width - 1, through: i, by: -1) { out[j] = UInt8(0x30 + v % 10); v /= 10 }
                i += width
                out[i] = sep
                i += 1
            }
            return i
        }
    }
}
