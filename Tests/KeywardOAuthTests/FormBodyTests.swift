import KeywardOAuth
import Testing

/// application/x-www-form-urlencoded bodies at the OAuth endpoints (RFC 6749 §3.1–3.2, appendix B).
@Suite("OAuth: form bodies (RFC 6749)")
struct FormBodyTests {
    static func parse(_ text: String) throws(JOSEError) -> FormBody { try FormBody.parse(Array(text.utf8)) }

    @Test("'+' is a space, percent-escapes decode to UTF-8, a name without '=' has an empty value")
    func decoding() throws {
        let form = try Self.parse("grant_type=client_credentials&scope=a+b%3Ac&x=%C3%A9&flag&&empty=")
        #expect(try form.value("grant_type") == "client_credentials")
        #expect(try form.value("scope") == "a b:c" && form.value("x") == "é")
        #expect(try form.value("flag") == nil && form.value("empty") == nil && form.value("missing") == nil)
        #expect(form.names == ["grant_type", "scope", "x"])
    }

    @Test("case 38: a parameter given twice is refused when read; an empty second copy counts as absent")
    func duplicates() throws {
        let form = try Self.parse("grant_type=client_credentials&grant_type=password&scope=a&scope=")
        #expect(throws: JOSEError.self) { try form.value("grant_type") }
        #expect(try form.value("scope") == "a")
    }

    @Test("Malformed percent-encoding, invalid UTF-8 and a body over the limit are refused")
    func refused() {
        for bad in ["a=%", "a=%4", "a=%zz", "a%=1", "a=%C3"] {
            #expect(throws: JOSEError.self, "\(bad)") { try Self.parse(bad) }
        }
        #expect(throws: JOSEError.self) { try FormBody.parse([UInt8](repeating: 0x61, count: 64 * 1024 + 1)) }
        #expect((try? FormBody.parse([UInt8](repeating: 0x61, count: 64 * 1024))) != nil)
    }
}
