import Crypto
import Foundation
import KeywardCore

/// Public checksum schemes of token formats (algorithms documented in scripts/check_rules.py).
enum Checksums {
    static func verify(_ name: String, _ secret: [UInt8]) -> Bool {
        switch name {
        case "github-crc32", "npm-crc32": return crcTail(secret, bodyCount: 30)
        case "keyward-crc32": return APIKeyFormat.parse(String(decoding: secret, as: UTF8.self)) != .malformed
        case "bech32": return bech32(secret)
        case "base58check": return base58check(secret)
        case "jwt": return JWTShape.alg(secret) != nil
        case "base64-credentials": return JWTShape.isBase64Credentials(secret)
        default: return false
        }
    }

    /// The most a checksum lets a finding claim: a JWT with alg "none" is low.
    static func confidence(_ name: String, _ secret: [UInt8]) -> Confidence {
        name == "jwt" && JWTShape.alg(secret) == "none" ? .low : .high
    }

    /// The last 6 characters are base62(CRC-32 of the `bodyCount` characters before them).
    static func crcTail(_ s: [UInt8], bodyCount: Int) -> Bool {
        guard s.count >= bodyCount + 6 else { return false }
        let body = s[(s.count - 6 - bodyCount)..<(s.count - 6)]
        var v: UInt64 = 0
        for c in s.suffix(6) {
            guard let d = Base62.value(of: c) else { return false }
            v = v * 62 + UInt64(d)
        }
        return v == UInt64(CRC32.checksum(body))
    }

    /// BIP-173 bech32 over the lower-cased string.
    static func bech32(_ s: [UInt8]) -> Bool {
        let lower = s.map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: 0x31), sep > 0, lower.count - sep > 6 else { return false }
        let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
        var values: [UInt32] = lower[..<sep].map { UInt32($0 >> 5) } + [0] + lower[..<sep].map { UInt32($0 & 31) }
        for c in lower[(sep + 1)...] {
            guard let i = charset.firstIndex(of: c) else { return false }
            values.append(UInt32(i))
        }
        let gen: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ v
            for i in 0..<5 where (top >> i) & 1 == 1 { chk ^= gen[i] }
        }
        return chk == 1
    }

    /// Bitcoin Base58Check: the last 4 decoded bytes are SHA256(SHA256(rest))[:4].
    static func base58check(_ s: [UInt8]) -> Bool {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
        var bytes: [UInt8] = [0]
        for c in s {
            guard let d = alphabet.firstIndex(of: c) else { return false }
            var carry = d
            for i in stride(from: bytes.count - 1, through: 0, by: -1) {
                carry += Int(bytes[i]) * 58
                bytes[i] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 { bytes.insert(UInt8(carry & 0xFF), at: 0); carry >>= 8 }
        }
        let zeros = s.prefix { $0 == 0x31 }.count
        let decoded = [UInt8](repeating: 0, count: zeros) + Array(bytes.drop { $0 == 0 })
        guard decoded.count > 4 else { return false }
        let payload = decoded.dropLast(4)
        let check = Array(SHA256.hash(data: Array(SHA256.hash(data: Array(payload))))).prefix(4)
        return Array(decoded.suffix(4)) == Array(check)
    }
}
