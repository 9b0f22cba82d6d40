import Foundation
import KeywardTesting
import KeywardScanner
import Testing

/// The base64 run finder (case 62 of docs/security-cases.md's first step), against a plain reading of its
/// definition: a value after `:` or `=` (≤ 3 blanks, an optional quote) of 48+ alphabet
/// characters, ≤ 2 `=`, then a delimiter.
@Suite("Base64 runs")
struct Base64RunsTests {
    static func find(_ s: String) -> [String] {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBytes { raw in Base64Runs.find(in: raw).map { String(decoding: bytes[$0], as: UTF8.self) } }
    }

    static let b48 = String(repeating: "QUJD", count: 12)

    @Test("assignments of long runs are found, with their padding, and nothing else")
    func shapes() {
        let r = Self.b48
        #expect(Self.find("data: \(r)\n") == [r])
        #expect(Self.find("x=\(r);") == [r])
        #expect(Self.find("k: \"\(r)==\"\n") == [r + "=="])
        #expect(Self.find("k:\t \t'\(r)-_+/'") == [r + "-_+/"])
        #expect(Self.find("k: \(r)") == [], "no delimiter at the end of the input")
        #expect(Self.find("k: \(r)===\n") == [], "three = is not padding")
        #expect(Self.find("k:    \(r)\n") == [], "four blanks")
        #expect(Self.find("k \(r)\n") == [], "no assignment")
        #expect(Self.find("k: \(r.dropLast())\n") == [], "47 characters")
        #expect(Self.find("\(r)\n") == [], "at the very start")
        #expect(Self.find("a: \(r)\nb= \(r)AAAA\n\(r)\nc:\(r)\n") == [r, r + "AAAA", r])
    }

    @Test("agrees with a straightforward scan on random text, at every offset of the skip")
    func randomAgreement() {
        var rng = SeededRandom()
        let pieces = ["a", "b", "Z", "0", "+", "/", "-", "_", "=", ":", " ", "\t", "\"", "'", "\n", ";", ".", "é"]
        var found = 0
        for _ in 0..<300 {
            var s = ""
            for _ in 0..<Int.random(in: 0..<400, using: &rng) {
                s += Bool.random(using: &rng) ? pieces.randomElement(using: &rng)! : String(repeating: "Ab9", count: Int.random(in: 1..<30, using: &rng))
            }
            let runs = Self.find(s)
            #expect(runs == Self.reference(s), "\(s)")
            found += runs.count
        }
        #expect(found > 50, "the random texts must hold runs, or the comparison shows nothing")
    }

    @Test("searching only inside the runs of a wider alphabet finds the same runs")
    func withinRegions() {
        var rng = SeededRandom()
        let pieces = ["Ab9", "+/", "-_", ".", "=", ":", " ", "\n", "\"", "Zz", "é"]
        for _ in 0..<200 {
            var s = ""
            for _ in 0..<Int.random(in: 0..<300, using: &rng) { s += pieces.randomElement(using: &rng)! }
            let bytes = Array(s.utf8)
            // Runs of at least 48 of the base64 alphabet plus '.', found plainly.
            func wide(_ c: UInt8) -> Bool { c.isLetterOrDigitASCII || "+/-_.".utf8.contains(c) }
            var regions: [Range<Int>] = []
            var i = 0
            while i < bytes.count {
                guard wide(bytes[i]) else { i += 1; continue }
                var j = i
                while j < bytes.count && wide(bytes[j]) { j += 1 }
                if j - i >= 48 { regions.append(i..<j) }
                i = j
            }
            bytes.withUnsafeBytes { raw in
                #expect(Base64Runs.find(in: raw, within: regions) == Base64Runs.find(in: raw), "\(s)")
            }
        }
    }

    /// Every maximal run checked directly: the definition, read plainly.
    static func reference(_ s: String) -> [String] {
        let b = Array(s.utf8)
        func isB64(_ c: UInt8) -> Bool { c.isLetterOrDigitASCII || c == 0x2B || c == 0x2F || c == 0x2D || c == 0x5F }
        var out: [String] = []
        var i = 0
        while i < b.count {
            guard isB64(b[i]) else { i += 1; continue }
            var j = i
            while j < b.count && isB64(b[j]) { j += 1 }
            defer { i = j }
            guard j - i >= 48 else { continue }
            var pre = i
            if pre > 0 && (b[pre - 1] == 0x22 || b[pre - 1] == 0x27) { pre -= 1 }
            var blanks = 0
            while blanks < 3 && pre > 0 && (b[pre - 1] == 0x20 || b[pre - 1] == 0x09) { pre -= 1; blanks += 1 }
            guard pre > 0, b[pre - 1] == 0x3A || b[pre - 1] == 0x3D else { continue }
            var k = j
            while k < b.count && b[k] == 0x3D { k += 1 }
            guard k - j <= 2, k < b.count, !isB64(b[k]) else { continue }
            out.append(String(decoding: b[i..<k], as: UTF8.self))
        }
        return out
    }
}

private extension UInt8 {
    var isLetterOrDigitASCII: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) }
}
