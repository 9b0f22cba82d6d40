import Foundation
import KeywardCore
import KeywardScanner

/// Field checks for management input. Messages name the field, never echo the value.
package enum Validate {
    static func text(_ s: String, field: String, max: Int) throws {
        guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw KeywardError(.validation, "\(field) must not be empty")
        }
        try optionalText(s, field: field, max: max)
    }

    static func optionalText(_ s: String?, field: String, max: Int) throws {
        guard let s else { return }
        guard s.unicodeScalars.count <= max else { throw KeywardError(.validation, "\(field) is longer than \(max) characters") }
        guard !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) else {
            throw KeywardError(.validation, "\(field) contains control characters")
        }
        try noBidiControls(s, field: field)
        try noCredential(s, field: field)
    }

    /// The length a JSON Schema `maxLength` counts: Unicode code points, not UTF-8 bytes.
    package static func length(_ s: String) -> Int { s.unicodeScalars.count }

    /// Explicit bidirectional formatting characters (Unicode TR 9 §2: LRE, RLE, PDF, LRO, RLO,
    /// LRI, RLI, FSI, PDI, LRM, RLM, ALM): they make a name display as another (a U+202E
    /// right-to-left override turns `gpj.exe` around), so no stored text may hold one.
    static func noBidiControls(_ s: String, field: String) throws {
        if s.unicodeScalars.contains(where: isBidiControl) {
            throw KeywardError(.validation, "\(field) contains bidirectional control characters")
        }
    }

    static func isBidiControl(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }

    /// No control characters (C0, DEL, C1) and no bidi controls: paths and URLs of exposures,
    /// which are shown to people later.
    package static func printable(_ s: String, field: String) throws {
        if s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || isBidiControl($0) }) {
            throw KeywardError(.validation, "\(field) contains control characters")
        }
    }

    /// Refuses a value in which any of the scanner's rules finds a credential (or a Keyward key
    /// by its format). The message names the field and the rule, never the value.
    package static func noCredential(_ s: String, field: String) throws {
        if let rule = CredentialShape.shared.rule(in: s) {
            throw KeywardError(.validation, "\(field) looks like it holds a credential (\(rule)); secrets do not belong in metadata")
        }
    }

    /// Lower-case token: `[a-z0-9][a-z0-9_-]{0,31}` (environments).
    static func token(_ s: String, field: String) throws {
        let u = Array(s.utf8)
        guard (1...32).contains(u.count),
              u.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }),
              u[0] != 0x5F, u[0] != 0x2D
        else { throw KeywardError(.validation, "\(field) must be 1 to 32 characters of a-z, 0-9, _ and -") }
    }

    /// A rule or provider name: 1 to 100 characters of a-z, 0-9, `.`, `-`, `_`.
    package static func isRuleName(_ s: String) -> Bool {
        (1...100).contains(s.utf8.count) && s.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }
    }

    static func labels(_ l: [String: String]) throws {
        guard l.count <= 64 else { throw KeywardError(.validation, "labels: at most 64 entries") }
        for (k, v) in l.sorted(by: { $0.key < $1.key }) {
            try noCredential(k, field: "labels")
            guard (1...63).contains(k.utf8.count), k.utf8.allSatisfy({ Base62.value(of: $0) != nil || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E || $0 == 0x2F }) else {
                throw KeywardError(.validation, "labels: keys are 1 to 63 characters of letters, digits, _ - . /")
            }
            try optionalText(v, field: "labels", max: 256)
        }
    }

    static func scopes(_ raw: [String], field: String, allowReserved: Bool) throws -> [Scope] {
        guard raw.count <= 100 else { throw KeywardError(.validation, "\(field): at most 100 scopes") }
        var out: [Scope] = []
        for r in raw {
            guard let s = Scope(r) else {
                throw KeywardError(.validation, "\(field): each scope is 1 to 128 characters of letters, digits and _ . : / -")
            }
            try noCredential(r, field: field)
            if s.isReserved && !allowReserved {
                throw KeywardError(.policyDenied, "\(field): keyward: scopes are reserved for Keyward's own management keys",
                                   rule: "scopes.reserved_namespace")
            }
            if !out.contains(s) { out.append(s) }
        }
        return out.sorted()
    }
}

extension Validate {
    /// A webhook receiver URL: absolute http(s) with a host that names one reachable machine.
    /// Refused: hosts a resolver reads in more than one way (`0`, `0x7f.1`, `127.1`,
    /// `2130706433`: inet_aton's shorthand forms), "this network" 0.0.0.0/8 (connecting to
    /// 0.0.0.0 reaches this machine on Linux), `::`, broadcast, multicast, and link-local
    /// addresses (169.254.0.0/16 and fe80::/10 hold cloud metadata services).
    /// Returns the scheme, host and port for the display form.
    static func webhookURL(_ raw: String) throws -> (scheme: String, host: String, port: Int?) {
        let invalid = KeywardError(.validation, "url must be an absolute http:// or https:// URL")
        guard length(raw) <= 2048 else { throw KeywardError(.validation, "url is longer than 2048 characters") }
        try printable(raw, field: "url")
        guard !raw.contains(" ") else { throw KeywardError(.validation, "url contains spaces") }
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              var host = url.host?.lowercased(), !host.isEmpty else { throw invalid }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host = String(host.dropLast()) }
        let refused = KeywardError(.validation, "url: the host must name one reachable machine (not 0.0.0.0, ::, a shorthand IPv4 form, broadcast, multicast or link-local)")
        if host.contains(":") {
            guard let v6 = IPv6(host) else { throw invalid }
            if let mapped = v6.mappedIPv4 {
                if !usableIPv4(mapped) { throw refused }
            } else if v6.isUnspecified || v6.words[0] & 0xFF00 == 0xFF00 || v6.words[0] & 0xFFC0 == 0xFE80 {
                throw refused
            }
        } else if let quad = canonicalIPv4(host) {
            if !usableIPv4(quad) { throw refused }
        } else if host.split(separator: ".", omittingEmptySubsequences: false).last?.first?.isLetter != true {
            // Not a dotted quad, so a name, whose last label starts with a letter (as the schema
            // says): `0`, `0x7f.1`, `127.1`, `2130706433` and `example.123` are addresses to inet_aton.
            throw refused
        } else if !host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isHostLabel) {
            // A name is letters, digits and hyphens in labels of 1 to 63 (RFC 1123), as the schema says:
            // `*`, `_` and the like name no machine DNS will resolve.
            throw invalid
        }
        return (scheme, host, url.port)
    }

    static func isHostLabel(_ label: Substring) -> Bool {
        let u = label.utf8
        guard (1...63).contains(u.count), u.first != UInt8(ascii: "-"), u.last != UInt8(ascii: "-") else { return false }
        return u.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == UInt8(ascii: "-") }
    }

    /// `a.b.c.d` with each part 0…255 in decimal without leading zeros, else nil.
    static func canonicalIPv4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber), p == "0" || !p.hasPrefix("0"), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func usableIPv4(_ a: [UInt8]) -> Bool {
        !(a[0] == 0 || a[0] >= 224 || (a[0] == 169 && a[1] == 254))
    }

    /// An IPv6 literal, parsed by inet_pton.
    struct IPv6 {
        var words: [UInt16]
        init?(_ s: String) {
            var addr = in6_addr()
            guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &addr) { Array($0) }
            words = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        }
        var isUnspecified: Bool { words.allSatisfy { $0 == 0 } }
        /// `::ffff:a.b.c.d`.
        var mappedIPv4: [UInt8]? {
            guard words[0..<5].allSatisfy({ $0 == 0 }), words[5] == 0xFFFF else { return nil }
            return [UInt8(words[6] >> 8), UInt8(words[6] & 0xFF), UInt8(words[7] >> 8), UInt8(words[7] & 0xFF)]
        }
    }
}
