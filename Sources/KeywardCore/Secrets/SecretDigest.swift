import Crypto
import Foundation

/// SHA-256 of a secret, 32 bytes held inline (four words) so a million fit in a compact index.
package struct SecretDigest: Hashable, Sendable, CustomStringConvertible {
    package let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    package init<C: Collection>(hashing bytes: C) where C.Element == UInt8 {
        let d = SHA256.hash(data: Array(bytes))
        self.init(rawBytes: Array(d))!
    }

    package init?(rawBytes b: [UInt8]) {
        guard b.count == 32 else { return nil }
        func word(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for j in 0..<8 { v = (v << 8) | UInt64(b[i * 8 + j]) }
            return v
        }
        w0 = word(0); w1 = word(1); w2 = word(2); w3 = word(3)
    }

    /// From 64 lower- or upper-case hex characters.
    package init?(hex: String) {
        let u = Array(hex.utf8)
        guard u.count == 64 else { return nil }
        var raw = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let hi = Hex.nibble(u[2 * i]), let lo = Hex.nibble(u[2 * i + 1]) else { return nil }
            raw[i] = hi << 4 | lo
        }
        self.init(rawBytes: raw)
    }

    package var rawBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for w in [w0, w1, w2, w3] { for j in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: w >> (UInt64(j) * 8))) } }
        return out
    }

    package var hex: String { Hex.encode(rawBytes) }

    /// Constant-time equality (no early exit on the first differing word).
    package func constantTimeEquals(_ o: SecretDigest) -> Bool {
        ((w0 ^ o.w0) | (w1 ^ o.w1) | (w2 ^ o.w2) | (w3 ^ o.w3)) == 0
    }

    package var description: String { "sha256:\(hex.prefix(12))…" }
}

package enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
    package static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
    package static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
    package static func decode(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
