/// A permission string such as `payments:read`. `keyward:` is reserved for management keys.
package struct Scope: Hashable, Sendable, Comparable, CustomStringConvertible {
    package let value: String

    /// Letters, digits and `_ . : / -`, 1 to 128 characters, starting with a letter or digit.
    package init?(_ value: String) {
        let u = value.utf8
        guard (1...128).contains(u.count), let first = u.first,
              Base62.value(of: first) != nil
        else { return nil }
        for c in u where !(Base62.value(of: c) != nil || c == 0x5F || c == 0x2E || c == 0x3A || c == 0x2F || c == 0x2D) {
            return nil
        }
        self.value = value
    }

    /// In the `keyward:` namespace, in any letter case (`KEYWARD:admin` is no way around it).
    package var isReserved: Bool { value.utf8.count >= 8 && value.prefix(8).lowercased() == "keyward:" }
    package var description: String { value }
    package static func < (a: Scope, b: Scope) -> Bool { a.value < b.value }

    package static let admin = Scope("keyward:admin")!
    package static let read = Scope("keyward:read")!
    package static let verify = Scope("keyward:verify")!
    package static let report = Scope("keyward:report")!
    package static let management: [Scope] = [admin, read, verify, report]
}
