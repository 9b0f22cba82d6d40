/// The base62 alphabet of DESIGN.md: digits, upper case, lower case, in that order.
package enum Base62 {
    package static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Each byte's value in the alphabet, 0xFF for bytes outside it: one table load per byte,
    /// with no branch on the character's class (verify parses attacker-chosen keys; case 56 of docs/security-cases.md).
    static let values: [UInt8] = (0..<256).map { b -> UInt8 in
        switch UInt8(b) {
        case 0x30...0x39: return UInt8(b) - 0x30
        case 0x41...0x5A: return UInt8(b) - 0x41 + 10
        case 0x61...0x7A: return UInt8(b) - 0x61 + 36
        default: return 0xFF
        }
    }

    /// Value of an ASCII byte in the alphabet, or nil. No normalisation: look-alikes are rejected.
    @inline(__always)
    package static func value(of byte: UInt8) -> UInt8? {
        let v = values[Int(byte)]
        return v == 0xFF ? nil : v
    }

    /// True when every byte is in the alphabet; examines every byte whatever it finds.
    @inline(__always)
    package static func allValid(_ bytes: some Collection<UInt8>) -> Bool {
        var invalid: UInt8 = 0
        for b in bytes { invalid |= values[Int(b)] & 0x80 }
        return invalid == 0
    }

    /// `value` written most significant digit first, left-padded with `0` to `width`.
    package static func encode(_ value: UInt32, width: Int) -> [UInt8] {
        var digits = [UInt8](repeating: alphabet[0], count: width)
        var v = value
        var i = width - 1
        while v > 0 && i >= 0 {
            digits[i] = alphabet[Int(v % 62)]
            v /= 62
            i -= 1
        }
        return digits
    }

    /// `count` characters drawn uniformly from the alphabet (rejection sampling, no modulo bias).
    package static func random<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let b = UInt8.random(in: 0...255, using: &rng)
            if b < 248 { out.append(alphabet[Int(b % 62)]) } // 248 = 4 * 62
        }
        return out
    }
}
