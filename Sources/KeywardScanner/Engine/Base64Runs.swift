import Foundation

/// Long base64 runs in the input: found by a skip scan over the bytes, decoded when they decode
/// to text, and scanned once more (case 62 of docs/security-cases.md: base64-wrapped secrets).
///
/// A run is a value after `:` or `=` (up to three spaces or tabs, an optional quote) of 48 or
/// more characters of the standard or URL-safe alphabet, then up to two `=`, then a delimiter.
/// Hand-written, not a Hyperscan pattern: as one (`[:=][ \t]{0,3}["']?[A-Za-z0-9+/_-]{48,}={0,2}
/// [^A-Za-z0-9+/_=-]`) it was 37% of the detect database's time on the benchmark corpus, since
/// every `:` or `=` started a bounded repeat the engine had to track; the skip scan reads only
/// a fraction of the bytes of ordinary text.
package enum Base64Runs {
    static let maxRun = 1 << 20
    static let minRun = 48

    /// The base64 alphabet (standard and URL-safe), and as a lookup table.
    static let alphabetCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
    private static let alphabet = ByteRuns.table(alphabetCharacters)

    /// Every run in `data` (byte ranges, padding included, delimiter excluded), in order; only
    /// inside `regions` when given (runs of a wider alphabet that holds this one).
    package static func find(in data: UnsafeRawBufferPointer, within regions: [Range<Int>]? = nil) -> [Range<Int>] {
        var out: [Range<Int>] = []
        ByteRuns.forEach(in: data, of: alphabet, atLeast: minRun, within: regions) { lo, hi in
            if let run = accept(lo, hi, data) { out.append(run) }
        }
        return out
    }

    /// The run `lo..<hi` (maximal) with its padding, if an assignment precedes it and a
    /// delimiter follows its padding; the last `maxRun` bytes of a longer one.
    private static func accept(_ lo: Int, _ hi: Int, _ data: UnsafeRawBufferPointer) -> Range<Int>? {
        var j = lo
        if j > 0 && (data[j - 1] == 0x22 || data[j - 1] == 0x27) { j -= 1 }
        var blanks = 0
        while blanks < 3 && j > 0 && (data[j - 1] == 0x20 || data[j - 1] == 0x09) { j -= 1; blanks += 1 }
        guard j > 0, data[j - 1] == 0x3A || data[j - 1] == 0x3D else { return nil }
        var k = hi
        while k < data.count && data[k] == 0x3D && k - hi < 3 { k += 1 }
        guard k - hi <= 2, k < data.count, data[k] != 0x3D, !alphabet[Int(data[k])] else { return nil }
        return max(lo, k - maxRun)..<k
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

/// Maximal runs of bytes from one alphabet, at least some length long, found by a skip scan.
/// Hand-written: a byte loop no library offers, and the reason it is fast is the skip.
enum ByteRuns {
    /// A 256-entry membership table for the ASCII characters of `alphabet`.
    static func table(_ alphabet: String) -> [Bool] {
        var t = [Bool](repeating: false, count: 256)
        for c in alphabet.utf8 { t[Int(c)] = true }
        return t
    }

    /// Calls `body(lo, hi)` for every maximal run `lo..<hi` of `table` bytes at least `minLength`
    /// long, in order.
    ///
    /// With every such run that starts before `p` already seen, and `data[p - 1]` not in the
    /// alphabet, the next one, if any, covers `p + minLength - 1`. When that byte is not in the
    /// alphabet, no run starts in `p...p + minLength - 1` and the scan moves `minLength` ahead;
    /// when it is, the maximal run around it is measured and skipped. Ordinary text costs a
    /// few reads per `minLength` bytes.
    ///
    /// With `regions`, only inside those ranges, each of which must be bounded by bytes outside
    /// the alphabet (or the ends of `data`), as the runs of a wider alphabet are: one skip scan
    /// for the widest alphabet then finds the few places worth a look for all the others.
    static func forEach(in data: UnsafeRawBufferPointer, of table: [Bool], atLeast minLength: Int, within regions: [Range<Int>]? = nil,
                        _ body: (Int, Int) -> Void) {
        precondition(minLength >= 1 && table.count == 256)
        table.withUnsafeBufferPointer { table in
            for region in regions ?? [0..<data.count] {
                var p = region.lowerBound
                let n = region.upperBound
                while p + minLength - 1 < n {
                    let probe = p + minLength - 1
                    guard table[Int(data[probe])] else { p = probe + 1; continue }
                    var lo = probe
                    while lo > p && table[Int(data[lo - 1])] { lo -= 1 }
                    var hi = probe + 1
                    while hi < n && table[Int(data[hi])] { hi += 1 }
                    if hi - lo >= minLength { body(lo, hi) }
                    p = hi + 1
                }
            }
        }
    }

    /// The maximal runs of `table` bytes at least `minLength` long.
    static func runs(in data: UnsafeRawBufferPointer, of table: [Bool], atLeast minLength: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        forEach(in: data, of: table, atLeast: minLength) { out.append($0..<$1) }
        return out
    }
}
