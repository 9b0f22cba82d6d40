#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An IP address Keyward is about to connect to for an outbound fetch (a client's `jwks_uri`),
/// and what kind of address it is, so a URL cannot point the server at its own network
/// (SECURITY-CASES case 20: no SSRF).
package struct OutboundAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    package let bytes: [UInt8]

    package enum Kind: String, Sendable, Equatable {
        case global
        /// 127/8, ::1.
        case loopback
        /// RFC 1918, 100.64/10 (RFC 6598), fc00::/7 (RFC 4193), fec0::/10 (deprecated site-local).
        case privateNetwork = "private"
        /// 169.254/16 (cloud metadata lives here), fe80::/10.
        case linkLocal = "link-local"
        /// 0/8, ::.
        case unspecified
        /// 224/4, ff00::/8, 255.255.255.255.
        case multicastOrBroadcast = "multicast or broadcast"
        /// 240/4 (reserved for future use).
        case reserved
    }

    package init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// An IPv4 dotted quad or an IPv6 literal (brackets allowed), as `inet_pton` reads them; nil
    /// for anything else (a host name). Shorthands `inet_aton` would take (`127.1`, `0x7f.1`,
    /// `2130706433`) are not addresses here, and as host names they match no allow-list entry.
    package init?(literal: String) {
        var text = literal
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d` (RFC 4291
    /// §2.5.5.2), which the kernel connects to as IPv4, and the NAT64 well-known prefix
    /// `64:ff9b::/96` (RFC 6052), which a NAT64 gateway forwards to it. Classified as that IPv4.
    package var embeddedIPv4: OutboundAddress? {
        guard bytes.count == 16 else { return nil }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        let nat64 = bytes[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0][...]
        guard mapped || nat64 else { return nil }
        return OutboundAddress(bytes: Array(bytes[12..<16]))
    }

    package var kind: Kind {
        if let v4 = embeddedIPv4 { return v4.kind }
        if bytes.count == 4 { return Self.kindV4(bytes) }
        if bytes.allSatisfy({ $0 == 0 }) { return .unspecified }
        if bytes[0..<15].allSatisfy({ $0 == 0 }), bytes[15] == 1 { return .loopback }
        switch bytes[0] {
        case 0xff: return .multicastOrBroadcast
        case 0xfc, 0xfd: return .privateNetwork
        case 0xfe:
            switch bytes[1] & 0xc0 {
            case 0x80: return .linkLocal        // fe80::/10
            case 0xc0: return .privateNetwork   // fec0::/10
            default: return .global
            }
        default: return .global
        }
    }

    private static func kindV4(_ b: [UInt8]) -> Kind {
        switch (b[0], b[1]) {
        case (0, _): return .unspecified
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168): return .privateNetwork
        case (100, 64...127): return .privateNetwork
        case (169, 254): return .linkLocal
        case (224...239, _): return .multicastOrBroadcast
        case (255, 255) where b[2] == 255 && b[3] == 255: return .multicastOrBroadcast
        case (240...255, _): return .reserved
        default: return .global
        }
    }

    /// Whether a fetch may connect here: a global address always; loopback and private
    /// addresses only when the allow-list names the URL's host exactly (an operator who writes
    /// `--jwks-allow jwks.internal` means that host, where `.corp.example` does not vouch for
    /// every name under it pointing inside); link-local, unspecified, multicast, broadcast and
    /// reserved addresses never.
    package func permitted(hostNamedExactly: Bool) -> Bool {
        switch kind {
        case .global: true
        case .loopback, .privateNetwork: hostNamedExactly
        case .linkLocal, .unspecified, .multicastOrBroadcast, .reserved: false
        }
    }

    /// The address as `inet_ntop` writes it (IPv6 without brackets).
    package var description: String {
        var out = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBufferPointer { src in
            inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, src.baseAddress, &out, socklen_t(out.count)) != nil
        }
        guard ok else { return "?" }
        return out.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
