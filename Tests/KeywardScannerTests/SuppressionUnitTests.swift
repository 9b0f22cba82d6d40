import Foundation
import KeywardScanner
import Testing

/// The pure parts of suppressions: allow comments, the config's TOML subset, the baseline
/// hasher and the progress line.
@Suite("Suppression parts")
struct SuppressionUnitTests {
    @Test("keyward:allow takes its reason from any comment syntax; a bare marker has none")
    func allowComment() {
        func reason(_ s: String) -> String? { AllowComment.reason(inLine: Array(s.utf8)) }
        #expect(reason("x = 1  # keyward:allow fixture for the parser tests") == "fixture for the parser tests")
        #expect(reason("/* keyward:allow: sample key */ KEY = 1") == "sample key")
        #expect(reason("<!-- keyward:allow docs example -->") == "docs example")
        #expect(reason("token = 'x' // keyward:allow") == "")
        #expect(reason("token = 'x' // keyward:allow   */") == "")
        #expect(reason("token = 'x'") == nil)
    }

    @Test("the TOML subset: tables, arrays of tables, both string kinds, numbers, booleans, multi-line arrays; errors name the line")
    func toml() throws {
        let tables = try TOMLSubset.parse("""
            # comment
            [[allow]]
            paths = [
              "vendor/**",   # trailing comment
              'a\\b',
            ]
            reason = "say \\"why\\"\\u00e9"
            [[rules]]
            high_entropy = true
            min_entropy = 3.5
            secret_group = 1
            """)
        #expect(tables.map(\.name) == ["", "allow", "rules"])
        #expect(tables[1].values["paths"] == .array([.string("vendor/**"), .string("a\\b")]))
        #expect(tables[1].values["reason"] == .string("say \"why\"é"))
        #expect(tables[1].lines["reason"] == 7)
        #expect(tables[2].values["high_entropy"] == .bool(true) && tables[2].values["min_entropy"] == .float(3.5) && tables[2].values["secret_group"] == .integer(1))
        for (text, line) in [("a = 1\na = 2", 2), ("[x]\n[x]", 2), ("\n\nk = nope", 3), ("k = [1, 2", 1), ("k = \"\\q\"", 1), ("k = 1 x", 1)] {
            #expect(throws: TOMLSubset.ParseError.self) { try TOMLSubset.parse(text) }
            do { _ = try TOMLSubset.parse(text) } catch { #expect(error.line == line, "\(text): \(error.message)") }
        }
    }

    @Test("baseline hashes: salted (another salt, another hash), scrypt for low-entropy secrets, no plain digest; hostile parameters refused")
    func hasher() throws {
        let a = try BaselineHasher(salt: Array(repeating: 1, count: 16)), b = try BaselineHasher(salt: Array(repeating: 2, count: 16))
        let secret = Array("Summer2024!".utf8)
        let ha = a.hash(secret, highEntropy: false, fingerprint: "f")
        #expect(ha.hasPrefix("scrypt:"))
        #expect(ha != b.hash(secret, highEntropy: false, fingerprint: "f"))
        #expect(try BaselineHasher(salt: Array(repeating: 1, count: 16)).hash(secret, highEntropy: false, fingerprint: "g") == ha)
        #expect(a.hash(secret, highEntropy: true, fingerprint: "f").hasPrefix("hmac-sha256:"))
        #expect(throws: ScanError.self) { try BaselineHasher(salt: Array(repeating: 1, count: 16), parameters: .init(name: "scrypt", n: 1 << 30, r: 8, p: 1)) }
        #expect(throws: ScanError.self) { try BaselineHasher(salt: Array(repeating: 1, count: 16), parameters: .init(name: "scrypt", n: 16, r: 1, p: 1)) }
        #expect(throws: ScanError.self) { try BaselineHasher(salt: [1, 2, 3]) }
    }

    @Test("the progress line shows files, MB, findings and the rate")
    func progressLine() {
        #expect(ScanProgress.line(files: 1200, bytes: 52_400_000, findings: 3, seconds: 2) == "scanning: 1200 files, 52.4 MB, 3 findings (26 MB/s)")
        #expect(ScanProgress.line(files: 0, bytes: 0, findings: 0, seconds: 0) == "scanning: 0 files, 0.0 MB, 0 findings (0 MB/s)")
    }
}
