import Foundation

/// The `jwt` and `base64-credentials` validators (documented with the other checksums in
/// scripts/check_rules.py): structure a credential must have, checked without trusting it.
enum JWTShape {
    /// The alg of a structurally valid compact JWS (RFC 7515 §7.1), or nil: the header is a
    /// JSON object with a string "alg", the payload a JSON object, and the signature's decoded
    /// length fits the alg.
    static func alg(_ secret: [UInt8]) -> String? {
        let parts = secret.split(separator: 0x2E, omittingEmptySubsequences: false)
        guard parts.count == 3, let head = object(parts[0]), object(parts[1]) != nil, let alg = head["alg"] as? String else { return nil }
        let sig = parts[2]
        guard sig.count % 4 != 1, sig.allSatisfy(isBase64URL) else { return nil }
        let n = sig.count * 3 / 4
        let range: ClosedRange<Int>
        switch alg {
        case "HS256", "ES256", "ES256K": range = alg == "HS256" ? 32...32 : 64...64
        case "HS384": range = 48...48
        case "HS512": range = 64...64
        case "ES384": range = 96...96
        case "ES512": range = 132...132
        case "none": range = 0...0
        case "EdDSA": range = n == 64 ? 64...64 : 114...114
        default: range = alg.hasPrefix("RS") || alg.hasPrefix("PS") ? 128...1024 : 16...1024
        }
        return range.contains(n) ? alg : nil
    }

    /// base64 of "user:password" (RFC 7617; Docker's config.json "auth"): no control characters,
    /// a ":" with at least one byte on each side.
    static func isBase64Credentials(_ secret: [UInt8]) -> Bool {
        var body = secret[...]
        while body.last == 0x3D { body = body.dropLast() }
        guard secret.count - body.count <= 2, !body.isEmpty, body.count % 4 != 1,
              body.allSatisfy({ $0 == 0x2B || $0 == 0x2F || (isBase64URL($0) && $0 != 0x2D && $0 != 0x5F) }) else { return false }
        let padded = String(decoding: body, as: UTF8.self) + String(repeating: "=", count: (4 - body.count % 4) % 4)
        guard let raw = Data(base64Encoded: padded).map(Array.init), !raw.isEmpty,
              !raw.contains(where: { $0 < 0x20 || $0 == 0x7F }), let colon = raw.firstIndex(of: 0x3A) else { return false }
        return colon > 0 && colon < raw.count - 1
    }

    private static func isBase64URL(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2D || b == 0x5F
    }

    /// The JSON object a base64url segment without padding holds.
    private static func object(_ part: ArraySlice<UInt8>) -> [String: Any]? {
        guard !part.isEmpty, part.count % 4 != 1, part.allSatisfy(isBase64URL) else { return nil }
        var s = String(decoding: part, as: UTF8.self).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        guard let data = Data(base64Encoded: s), String(data: data, encoding: .utf8) != nil else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
