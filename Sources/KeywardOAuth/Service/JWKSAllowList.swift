/// The hosts a `jwks_uri` may name (`serve --jwks-allow HOST`, repeatable): an exact host
/// (`jwks.example.com`, `127.0.0.1`) or a domain suffix with its leading dot (`.example.com`
/// matches `a.example.com` and `b.a.example.com`, not `example.com` itself nor
/// `evilexample.com`). Hosts compare in lower case with a trailing dot dropped. Empty: no
/// `jwks_uri` is accepted at all.
package struct JWKSAllowList: Sendable, Equatable {
    package private(set) var exact: Set<String> = []
    package private(set) var suffixes: [String] = []

    package enum Match: Sendable, Equatable {
        /// The host is listed as itself: it may resolve to a loopback or private address.
        case exact
        /// The host is under a listed domain: only global addresses.
        case suffix
    }

    package init() {}

    /// Each entry a host name, an IP literal (IPv6 in brackets or not) or `.domain`; a URL, a
    /// path, a port, a wildcard or a bare `.` is refused, naming the entry.
    package init(_ entries: [String]) throws(JOSEError) {
        for raw in entries {
            let entry = Self.normalise(raw)
            let isSuffix = entry.hasPrefix(".")
            let name = isSuffix ? String(entry.dropFirst()) : entry
            guard !name.isEmpty, name.utf8.count <= 253, Self.isHostSyntax(name) || (!isSuffix && OutboundAddress(literal: name) != nil) else {
                throw JOSEError("--jwks-allow \(raw): expected a host name, an IP address or .domain (no scheme, port, path or wildcard)")
            }
            if isSuffix { suffixes.append(entry) } else { exact.insert(OutboundAddress(literal: name)?.description ?? name) }
        }
    }

    package var isEmpty: Bool { exact.isEmpty && suffixes.isEmpty }

    /// How `host` (a URL's host, IPv6 with or without brackets) is allowed, or nil when it is not.
    package func match(host: String) -> Match? {
        let h = Self.normalise(host)
        let key = OutboundAddress(literal: h)?.description ?? h
        if exact.contains(key) { return .exact }
        // An IP literal is never under a domain suffix.
        guard OutboundAddress(literal: h) == nil else { return nil }
        return suffixes.contains { h.hasSuffix($0) && h.count > $0.count } ? .suffix : nil
    }

    static func normalise(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasSuffix("."), h.count > 1 { h.removeLast() }
        return h
    }

    /// RFC 1123 §2.1 labels: letters, digits and hyphens, 1…63 each, no leading or trailing hyphen.
    static func isHostSyntax(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
        }
    }
}
