/// Typed identifiers: `<prefix>_<32 lower-case hex>` (128 random bits), held as a `UInt128`
/// so the in-memory index stays compact.
package protocol TypedID: Hashable, Sendable, CustomStringConvertible, Comparable {
    static var prefix: String { get }
    var raw: UInt128 { get }
    init(raw: UInt128)
}

extension TypedID {
    package static func random() -> Self {
        var rng = SystemRandomNumberGenerator()
        return Self(raw: UInt128(rng.next() as UInt64) << 64 | UInt128(rng.next() as UInt64))
    }

    /// Parses `<prefix>_<32 hex>`; anything else (including upper case) is not an id.
    package init?(_ string: String) {
        let p = Self.prefix + "_"
        guard string.hasPrefix(p) else { return nil }
        let hex = Array(string.utf8.dropFirst(p.utf8.count))
        guard hex.count == 32 else { return nil }
        var v: UInt128 = 0
        for c in hex {
            switch c {
            case 0x30...0x39: v = v << 4 | UInt128(c - 0x30)
            case 0x61...0x66: v = v << 4 | UInt128(c - 0x61 + 10)
            default: return nil
            }
        }
        self.init(raw: v)
    }

    package var description: String {
        // Hot (every verify response names two ids): nibbles straight into a buffer.
        let digits: StaticString = "0123456789abcdef"
        let prefix = Self.prefix.utf8
        return String(unsafeUninitializedCapacity: prefix.count + 33) { out in
            var i = 0
            for b in prefix { out[i] = b; i += 1 }
            out[i] = 0x5F
            i += 1
            var v = raw
            for j in stride(from: i + 31, through: i, by: -1) {
                out[j] = digits.utf8Start[Int(v & 0xF)]
                v >>= 4
            }
            return i + 32
        }
    }

    package static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

package struct IdentityID: TypedID {
    package static let prefix = "idn"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
    /// The built-in `keyward` identity that holds management keys.
    package static let keyward = IdentityID(raw: 0)
}

package struct KeyID: TypedID {
    package static let prefix = "key"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}
