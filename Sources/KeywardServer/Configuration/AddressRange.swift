import KeywardOAuth

/// An IP network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a single
/// host), for `--authz-trusted-proxy`. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is
/// compared as the IPv4 address it carries, as the kernel reports IPv4 peers on a dual-stack socket.
package struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The network's address bytes (4 or 16), with the host bits cleared.
    let network: [UInt8]
    let prefixLength: Int

    /// Nil unless `text` is an address, optionally `/` a prefix length within its family's size.
    package init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = Self.bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        var length = bits
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bits).contains(n), parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = n
        }
        prefixLength = length
        network = Self.masked(address, length)
    }

    /// Whether `address` (an IP literal, as a peer address or a forwarded header holds it) is inside.
    package func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return contains(bytes: bytes)
    }

    func contains(bytes: [UInt8]) -> Bool {
        bytes.count == network.count && Self.masked(bytes, prefixLength) == network
    }

    package var description: String {
        "\(OutboundAddress(bytes: network)?.description ?? "?")/\(prefixLength)"
    }

    /// An IP literal's bytes, an IPv4-mapped IPv6 address as its 4 IPv4 bytes; nil for anything else.
    static func bytes(_ literal: String) -> [UInt8]? {
        guard let a = OutboundAddress(literal: literal) else { return nil }
        let b = a.bytes
        if b.count == 16, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff { return Array(b[12..<16]) }
        return b
    }

    private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { i, byte in
            let keep = max(0, min(8, length - i * 8))
            return keep == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
    }
}
