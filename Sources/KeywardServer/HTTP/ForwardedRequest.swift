import Foundation
import HTTPTypes
import KeywardCore
import KeywardOAuth

/// The original request a gateway asks `/v1/authz` about, read from a trusted proxy's call:
/// its credential, method, URI, host, scheme and client address. Bad header values throw a 400
/// that names the header, never its value (it may hold a secret).
struct ForwardedRequest {
    enum Credential {
        /// `Authorization: Bearer <key or token>`.
        case bearer(String)
        /// `Authorization: DPoP <token>` and the `DPoP` proof header (nil when none was sent).
        case dpop(token: String, proof: String?)
        /// The configured API-key header (`--authz-key-header`).
        case apiKey(String)

        var secret: String {
            switch self {
            case .bearer(let s), .apiKey(let s): s
            case .dpop(let s, _): s
            }
        }
    }

    /// Upper case.
    var method: String
    /// Percent-decoded, dot segments resolved, no query: what `--authz-route` rules match.
    var path: String
    /// The path as sent (no query), for DPoP's `htu`.
    var rawPath: String
    var scheme: String
    var host: String?
    /// The client's address, canonical (as `inet_ntop` writes it).
    var clientAddress: String?
    var userAgent: String?
    var credential: Credential?

    static let prefix = "/v1/authz"

    init(_ head: HTTPRequest, peer: String?, config: AuthzConfiguration) throws {
        let h = head.headerFields
        func one(_ name: String) throws -> String? {
            let values = h[values: HTTPField.Name(name)!]
            guard values.count <= 1 else { throw KeywardError(.badRequest, "\(name): sent more than once") }
            return values.first?.trimmingCharacters(in: .whitespaces)
        }
        // Method: the gateway's header, else (Envoy ext_authz) this call's own method.
        let m = try one("X-Forwarded-Method") ?? one("X-Original-Method") ?? head.method.rawValue
        guard !m.isEmpty, m.utf8.count <= 32, m.utf8.allSatisfy(AuthzRule.isTokenByte) else {
            throw KeywardError(.badRequest, "X-Forwarded-Method: not an HTTP method")
        }
        method = m.uppercased()
        // URI: the gateway's header, else (Envoy's path_prefix) what follows /v1/authz in this call's target.
        var uri = try one("X-Forwarded-Uri") ?? one("X-Original-URI")
        if uri == nil, let target = head.path, target.hasPrefix(Self.prefix + "/") { uri = String(target.dropFirst(Self.prefix.count)) }
        guard let uri else {
            throw KeywardError(.badRequest, "the original URI is missing: send X-Forwarded-Uri (or X-Original-URI), or call /v1/authz/<original path>")
        }
        guard uri.hasPrefix("/"), uri.utf8.count <= 8_192, uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw KeywardError(.badRequest, "X-Forwarded-Uri: an origin-form URI (/path?query) of printable ASCII, at most 8 KiB")
        }
        rawPath = String(uri.prefix { $0 != "?" && $0 != "#" })
        guard let decoded = Self.percentDecoded(rawPath) else {
            throw KeywardError(.badRequest, "X-Forwarded-Uri: a bad percent escape, or one that decodes to a control character or invalid UTF-8")
        }
        path = Self.normalizedPath(decoded)
        let proto = try one("X-Forwarded-Proto")?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard proto == nil || proto == "http" || proto == "https" else { throw KeywardError(.badRequest, "X-Forwarded-Proto: http or https") }
        scheme = proto ?? "http"
        host = try one("X-Forwarded-Host") ?? head.authority
        if let host, host.isEmpty || host.utf8.count > 300 || !host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") }) {
            throw KeywardError(.badRequest, "X-Forwarded-Host: a host name or address, with an optional port")
        }
        clientAddress = try Self.client(forwardedFor: h[values: .init("X-Forwarded-For")!], realIP: one("X-Real-IP"), peer: peer, config: config)
        userAgent = h[.userAgent]
        credential = try Self.credential(h, config: config)
    }

    /// The client: the rightmost `X-Forwarded-For` address that is not a trusted proxy (each proxy
    /// appends the address it saw, so only the entries trusted proxies wrote are believed), else
    /// `X-Real-IP`, else the peer itself.
    static func client(forwardedFor: [String], realIP: String?, peer: String?, config: AuthzConfiguration) throws -> String? {
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !chain.isEmpty {
            guard chain.count <= 64 else { throw KeywardError(.badRequest, "X-Forwarded-For: at most 64 addresses") }
            var client: [UInt8] = []
            for entry in chain.reversed() {
                guard let bytes = AddressRange.bytes(Self.withoutPort(entry)) else {
                    throw KeywardError(.badRequest, "X-Forwarded-For: an entry is not an IP address")
                }
                client = bytes
                if !config.trustedProxies.contains(where: { $0.contains(bytes: bytes) }) { break }
            }
            return OutboundAddress(bytes: client)?.description
        }
        if let realIP {
            guard let bytes = AddressRange.bytes(Self.withoutPort(realIP)) else { throw KeywardError(.badRequest, "X-Real-IP: not an IP address") }
            return OutboundAddress(bytes: bytes)?.description
        }
        return peer.flatMap(AddressRange.bytes).flatMap { OutboundAddress(bytes: $0)?.description }
    }

    /// `1.2.3.4:5678` → `1.2.3.4`, `[2001:db8::1]:443` → `2001:db8::1`; anything else unchanged.
    static func withoutPort(_ s: String) -> String {
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") { return String(s[s.index(after: s.startIndex)..<close]) }
        if s.filter({ $0 == ":" }).count == 1, let colon = s.firstIndex(of: ":") { return String(s[..<colon]) }
        return s
    }

    static func credential(_ h: HTTPFields, config: AuthzConfiguration) throws -> Credential? {
        let auth = h[values: .authorization]
        guard auth.count <= 1 else { throw KeywardError(.badRequest, "Authorization: sent more than once") }
        if let a = auth.first {
            let parts = a.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            let scheme = parts.first?.lowercased() ?? ""
            let value = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            if scheme == "bearer" || scheme == "dpop" {
                guard !value.isEmpty else { return nil }
                if scheme == "bearer" { return .bearer(value) }
                let proofs = h[values: .init("DPoP")!]
                guard proofs.count <= 1 else { throw KeywardError(.badRequest, "DPoP: sent more than once") }
                return .dpop(token: value, proof: proofs.first)
            }
            // Another scheme (Basic…) is the upstream's business: the API key header may still carry a key.
        }
        guard let name = config.keyHeader else { return nil }
        let keys = h[values: HTTPField.Name(name)!]
        guard keys.count <= 1 else { throw KeywardError(.badRequest, "\(name): sent more than once") }
        return keys.first.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : .apiKey($0) }
    }

    /// Percent escapes decoded (RFC 3986 §2.1); nil for a bad escape, a decoded control
    /// character, or bytes that are not UTF-8.
    static func percentDecoded(_ s: String) -> String? {
        guard s.contains("%") else { return s }
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            it = it.dropFirst(2)
            guard v >= 0x20, v != 0x7f else { return nil }
            out.append(v)
        }
        return String(validating: out, as: UTF8.self)
    }

    /// `.` and `..` segments resolved (RFC 3986 §5.2.4; `..` above the root stays at the root) and
    /// empty segments dropped, keeping a trailing `/`: `/a//b/../c/` → `/a/c/`.
    static func normalizedPath(_ p: String) -> String {
        var segments: [Substring] = []
        for s in p.split(separator: "/", omittingEmptySubsequences: true) {
            if s == "." { continue }
            if s == ".." { _ = segments.popLast(); continue }
            segments.append(s)
        }
        let trailing = p.hasSuffix("/") || p.hasSuffix("/.") || p.hasSuffix("/..")
        let joined = "/" + segments.joined(separator: "/")
        return trailing && !segments.isEmpty ? joined + "/" : joined
    }
}
