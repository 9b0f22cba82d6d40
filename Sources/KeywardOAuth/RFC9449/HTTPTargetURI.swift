import Foundation
import Synchronization

/// The `htu` of a DPoP proof compared as RFC 9449 §4.3 asks: the request's URI without query and
/// fragment, both sides normalised per RFC 3986 §6.2.2–6.2.3 (case of scheme and host, percent-
/// encoding, dot segments, default port, empty path). The server's side is always built from the
/// configured issuer URL and the route, never from the request's Host header.
package enum HTTPTargetURI {
    /// The normal form, or nil when `text` is not an absolute http(s) URI with a host.
    package static func normalized(_ text: String) -> String? {
        guard var c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = c.host, !host.isEmpty, c.user == nil, c.password == nil else { return nil }
        c.query = nil
        c.fragment = nil
        var out = scheme + "://" + host.lowercased()
        if let port = c.port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) { out += ":\(port)" }
        guard let path = normalizedPath(c.percentEncodedPath) else { return nil }
        return out + path
    }

    /// Whether a proof's `htu` names the request the server received at `expected`.
    package static func matches(_ htu: String, expected: String) -> Bool {
        guard let a = remembered(htu), let b = remembered(expected) else { return false }
        return a == b
    }

    /// Recent normal forms: a client sends the same few URIs, and URLComponents costs more than
    /// the rest of a proof's checks bar the signature. A pure function's results, bounded.
    private static let recent = Mutex([String: String]())
    package static let recentLimit = 1_024

    static func remembered(_ text: String) -> String? {
        if let hit = recent.withLock({ $0[text] }) { return hit }
        guard let n = normalized(text) else { return nil }
        recent.withLock { r in
            if r.count >= recentLimit { r.removeAll(keepingCapacity: true) }
            r[text] = n
        }
        return n
    }

    /// Percent-encoding in upper case, unreserved characters decoded, dot segments removed.
    static func normalizedPath(_ path: String) -> String? {
        var bytes: [UInt8] = []
        let raw = Array(path.utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "%") {
                guard i + 2 < raw.count, let h = hex(raw[i + 1]), let l = hex(raw[i + 2]) else { return nil }
                let b = h << 4 | l
                if isUnreserved(b) { bytes.append(b) } else { bytes += Array(String(format: "%%%02X", b).utf8) }
                i += 3
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        var segments: [Substring] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for s in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            if s == "." { continue }
            if s == ".." { _ = segments.popLast(); continue }
            segments.append(s)
        }
        let trailingDot = text.hasSuffix("/.") || text.hasSuffix("/..")
        return "/" + segments.joined(separator: "/") + (trailingDot && !segments.isEmpty ? "/" : "")
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
    }
}
