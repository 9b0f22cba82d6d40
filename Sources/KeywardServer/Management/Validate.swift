import Foundation
import KeywardCore

/// Field checks for management input. Messages name the field, never echo the value.
enum Validate {
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
        if s.contains("kw_live_") || s.contains("kw_test_") {
            throw KeywardError(.validation, "\(field) looks like it contains a Keyward key; secrets do not belong in metadata")
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
    static func isRuleName(_ s: String) -> Bool {
        (1...100).contains(s.utf8.count) && s.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }
    }

    static func labels(_ l: [String: String]) throws {
        guard l.count <= 64 else { throw KeywardError(.validation, "labels: at most 64 entries") }
        for (k, v) in l {
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
            if s.isReserved && !allowReserved {
                throw KeywardError(.policyDenied, "\(field): keyward: scopes are reserved for Keyward's own management keys",
                                   rule: "scopes.reserved_namespace")
            }
            if !out.contains(s) { out.append(s) }
        }
        return out.sorted()
    }
}
