import Foundation

/// URL-encoded (percent-encoded) text in the input: a query string, a form body or a
/// connection string in a log line, where `password%3Dp%40ss` or `Authorization%3A%20Bearer%20…`
/// hides a secret (or its context) from rules written for the plain text. Each run is decoded and
/// scanned once more; a hit maps back to the encoded bytes it came from.
///
/// Hand-written: found with memchr on `%`, so text without a valid escape costs one vectorised
/// pass, and decoded with an offset map no library keeps.
package enum PercentRuns {
    /// Characters a URL-encoded run is made of (RFC 3986 unreserved, sub-delims, `:@/?%`).
    private static let urlCharacters = ByteRuns.table(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%")
    /// A run is at most this long each side of its first escape (bounded work on a long line).
    static let reach = 8_192

    /// The runs of URL characters holding at least one valid `%XX` escape, in order, disjoint.
    package static func find(in data: UnsafeRawBufferPointer) -> [Range<Int>] {
        guard let base = data.baseAddress, data.count >= 3 else { return [] }
        var out: [Range<Int>] = []
        var p = 0
        while p < data.count, let hit = memchr(base + p, 0x25, data.count - p) {
            let at = UnsafeRawPointer(hit) - base
            p = at + 1
            guard isEscape(at, data) else { continue }
            var lo = at, hi = at
            let floor = max(out.last?.upperBound ?? 0, at - reach), ceiling = min(data.count, at + reach)
            while lo > floor && urlCharacters[Int(data[lo - 1])] { lo -= 1 }
            while hi < ceiling && urlCharacters[Int(data[hi])] { hi += 1 }
            out.append(lo..<hi)
            p = hi
        }
        return out
    }

    /// `%` at `i` followed by two hex digits.
    static func isEscape(_ i: Int, _ data: UnsafeRawBufferPointer) -> Bool {
        i + 2 < data.count && data[i] == 0x25 && hex(data[i + 1]) != nil && hex(data[i + 2]) != nil
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// The decoded bytes of `run` and, for each, the offset in `run` of the first encoded byte
    /// it came from (plus one entry for the end). `+` stays `+`: in a form body it is a space,
    /// but in base64 inside a URL it is itself, and a secret's own bytes matter more.
    package static func decode(_ run: UnsafeRawBufferPointer) -> (bytes: [UInt8], offsets: [Int]) {
        var bytes: [UInt8] = [], offsets: [Int] = []
        bytes.reserveCapacity(run.count)
        offsets.reserveCapacity(run.count + 1)
        var i = 0
        while i < run.count {
            offsets.append(i)
            if isEscape(i, run), let h = hex(run[i + 1]), let l = hex(run[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(run[i])
                i += 1
            }
        }
        offsets.append(run.count)
        return (bytes, offsets)
    }
}
