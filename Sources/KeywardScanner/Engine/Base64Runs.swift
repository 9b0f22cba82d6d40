import Foundation

/// Long base64 runs in the input: found by the detect database (an internal pattern), decoded
/// when they decode to text, and scanned once more (SECURITY-CASES 62: base64-wrapped secrets).
enum Base64Runs {
    static let version = "-b64v2"
    /// A value (after `:` or `=`, optionally quoted) of 48+ characters of the standard or
    /// URL-safe alphabet, optional padding, then a delimiter. Anchoring on the assignment keeps
    /// Hyperscan from tracking every long identifier in the input.
    static let rule = Rule(id: "_internal.base64-run", provider: "_internal", name: "base64 run",
                           pattern: "[:=][ \\t]{0,3}[\"']?[A-Za-z0-9+/_-]{48,}={0,2}[^A-Za-z0-9+/_=-]",
                           secretGroup: 0, keywords: [], highEntropy: false, minEntropy: nil, checksum: nil, revocation: nil,
                           examples: [], negativeExamples: [], generatedExamples: nil)
    static let maxRun = 1 << 20

    static func isB64(_ c: UInt8) -> Bool {
        (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2B || c == 0x2F || c == 0x2D || c == 0x5F
    }

    /// The runs (byte ranges without the delimiter) ending just before each reported end.
    static func runs(endingAt ends: [Int], in data: UnsafeRawBufferPointer) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for end in ends.sorted() {
            let stop = end - 1 // the delimiter
            var hi = stop
            while hi > 0 && data[hi - 1] == 0x3D { hi -= 1 } // padding
            var lo = hi
            while lo > 0 && isB64(data[lo - 1]) && hi - lo < maxRun { lo -= 1 }
            guard stop - lo >= 48, out.last.map({ $0.upperBound <= lo }) ?? true else { continue }
            out.append(lo..<stop)
        }
        return out
    }

    /// Decodes a run when the result is text (≥ 95% printable, no NUL); nil otherwise.
    static func decodeText(_ run: UnsafeRawBufferPointer) -> [UInt8]? {
        // Quick filter: in base64 of ASCII text every 4th character encodes a byte below 0x80's
        // top six bits, so it is one of A–Z or a–f. Random data (digests, images) fails within a
        // few groups without being decoded.
        var k = 0
        while k < min(run.count, 64) {
            let c = run[k]
            guard (0x41...0x5A).contains(c) || (0x61...0x66).contains(c) else { return nil }
            k += 4
        }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x41...0x5A: return c - 0x41
            case 0x61...0x7A: return c - 0x61 + 26
            case 0x30...0x39: return c - 0x30 + 52
            case 0x2B, 0x2D: return 62
            case 0x2F, 0x5F: return 63
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(run.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        var printable = 0
        for (i, c) in run.enumerated() {
            guard let v = value(c) else { continue } // padding
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                let b = UInt8((acc >> UInt32(bits)) & 0xFF)
                if b == 0 { return nil }
                if (0x20...0x7E).contains(b) || b == 0x0A || b == 0x0D || b == 0x09 { printable += 1 }
                out.append(b)
                // Give up early on binary content (images, digests).
                if out.count == 64 && printable < 60 { return nil }
            }
            _ = i
        }
        guard !out.isEmpty, Double(printable) >= 0.95 * Double(out.count) else { return nil }
        return out
    }
}
