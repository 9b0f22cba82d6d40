import Foundation
import KeywardCore
import Testing

@Suite("API key format (DESIGN.md)")
struct APIKeyFormatTests {
    @Test("CRC-32 matches zlib's known vectors")
    func crcVectors() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test("the DESIGN.md example key is well-formed")
    func designExample() {
        #expect(APIKeyFormat.parse("kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T") == .wellFormed(.live))
    }

    @Test("generated keys parse, carry their environment and a 6-char base62 checksum", arguments: KeyEnvironment.allCases)
    func generated(env: KeyEnvironment) {
        for _ in 0..<200 {
            let k = APIKeyFormat.generate(environment: env).reveal()
            #expect(k.count == 46)
            #expect(k.hasPrefix("kw_\(env.rawValue)_"))
            #expect(APIKeyFormat.parse(k) == .wellFormed(env))
        }
    }

    @Test("checksum is base62 MSD-first, zero-padded")
    func checksumEncoding() {
        #expect(String(decoding: Base62.encode(0, width: 6), as: UTF8.self) == "000000")
        #expect(String(decoding: Base62.encode(61, width: 6), as: UTF8.self) == "00000z")
        #expect(String(decoding: Base62.encode(62, width: 6), as: UTF8.self) == "000010")
        #expect(String(decoding: Base62.encode(UInt32.max, width: 6), as: UTF8.self) == "4gfFC3")
    }

    // case 54 and 55 of docs/security-cases.md: no normalisation of any kind.
    @Test("bad checksum, trailing space, case change, look-alikes and wrong length are malformed")
    func malformedVariants() {
        let k = APIKeyFormat.generate(environment: .live).reveal()
        var chars = Array(k)
        let i = 20
        chars[i] = chars[i] == "A" ? "B" : "A"
        let badCRC = String(chars)
        let caseChanged = String(k.prefix(8)) + String(k.dropFirst(8)).uppercased()
        let cyrillicA = k.replacingOccurrences(of: "_live_", with: "_liv\u{0435}_") // Cyrillic е
        let fullwidth = String(k.dropLast()) + "\u{FF10}"
        for bad in [badCRC, k + " ", " " + k, k + "\n", caseChanged, cyrillicA, fullwidth, String(k.dropLast()), k + "0",
                    "KW_LIVE_" + k.dropFirst(8), "kw_prod_" + k.dropFirst(8), "", "kw_live_"] where bad != k {
            #expect(APIKeyFormat.parse(bad) == .malformed, "variant should be malformed")
        }
    }

    @Test("random part is drawn from the whole alphabet")
    func alphabetCoverage() {
        var seen = Set<Character>()
        for _ in 0..<300 { seen.formUnion(APIKeyFormat.generate(environment: .test).reveal().dropFirst(8).prefix(32)) }
        #expect(seen.count == 62)
    }

    @Test("a Secret never prints its plaintext")
    func secretRedaction() {
        let s = APIKeyFormat.generate(environment: .live)
        let shown = "\(s) \(String(describing: s)) \(String(reflecting: s))"
        #expect(!shown.contains(s.reveal()))
        #expect(shown.contains("redacted"))
        #expect(s.displayPrefix.count == 12)
    }

    @Test("typed ids round-trip and reject other shapes")
    func typedIDs() {
        let id = KeyID.random()
        #expect(KeyID(id.description) == id)
        #expect(KeyID(id.description.uppercased()) == nil)
        #expect(KeyID("idn_" + id.description.dropFirst(4)) == nil)
        #expect(IdentityID("idn_123") == nil)
        #expect(IdentityID.keyward.description == "idn_00000000000000000000000000000000")
    }

    @Test("digest hex round-trips and compares in constant time")
    func digest() {
        let d = SecretDigest(hashing: Array("abc".utf8))
        #expect(d.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SecretDigest(hex: d.hex) == d)
        #expect(d.constantTimeEquals(SecretDigest(hex: d.hex)!))
        #expect(!d.constantTimeEquals(SecretDigest(hashing: Array("abd".utf8))))
    }
}
