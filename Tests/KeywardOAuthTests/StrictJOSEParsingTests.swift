import Foundation
import KeywardOAuth
import Testing

/// RFC 7515 compact JWS and RFC 8259 JSON, parsed strictly (RFC 8725), and base64url (RFC 4648 §5).
@Suite("OAuth: strict compact JWS, JSON and base64url")
struct StrictJOSEParsingTests {
    @Test("case 18: a 1 MiB token is refused by size before any JSON is read")
    func case18Size() {
        // Its header is not even base64url: the size check must come first to give tooLarge.
        let huge = String(repeating: "!", count: 1 << 20) + ".e30.AAAA"
        #expect(throws: JOSEError.tooLarge) { try CompactJWS.parse(huge) }
        #expect(throws: JOSEError.tooLarge) { try ClientAssertion.inspect(huge, formClientID: nil) }
        #expect(throws: JOSEError.tooLarge) { try DPoPProof.validate(headerValues: [huge], method: "POST", expectedURI: "https://a.example/t", accessToken: nil, now: testNow) }
    }

    @Test("case 18: JSON nested 10,000 (and 200,000) deep is refused without recursion blow-up, in a header and directly")
    func case18Depth() {
        for depth in [10_000, 200_000] {
            let arrays = "{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            #expect(throws: JOSEError.tooDeep) { try StrictJSON.object(Array(arrays.utf8)) }
            #expect(throws: JOSEError.tooDeep) { try StrictJSON.object(Array(objects.utf8)) }
            let header = "{\"alg\":\"ES256\",\"x\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
            #expect(throws: JOSEError.tooDeep) { try CompactJWS.parse(b64(header) + ".e30.", maxBytes: 4 << 20) }
        }
        let sixteen = String(repeating: "{\"a\":", count: 16) + "1" + String(repeating: "}", count: 16)
        #expect((try? StrictJSON.object(Array(sixteen.utf8))) != nil)
        let seventeen = String(repeating: "{\"a\":", count: 17) + "1" + String(repeating: "}", count: 17)
        #expect(throws: JOSEError.tooDeep) { try StrictJSON.object(Array(seventeen.utf8)) }
    }

    @Test("case 18: a JWE or PBES2 header is refused in three segments too: enc means JWE, PBES2 is no JWS alg")
    func case18JWEHeaders() throws {
        let pbes2 = b64(#"{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":1000000000,"p2s":"AAAA"}"#) + ".e30.AAAA"
        #expect(throws: JOSEError.jweRefused) { try CompactJWS.parse(pbes2) }
        let noEnc = b64(#"{"alg":"PBES2-HS256+A128KW","p2c":1000000000}"#) + "." + b64(#"{"iss":"a","sub":"a"}"#) + ".AAAA"
        #expect(try CompactJWS.parse(noEnc).algorithm == nil)
        #expect(throws: JOSEError.algorithmRefused) { try ClientAssertion.inspect(noEnc, formClientID: nil) }
    }

    @Test("Strict JSON: duplicates (after unescaping) are refused; escapes, surrogate pairs and numbers decode")
    func strictJSON() throws {
        let o = try StrictJSON.object(Array(#" {"a":"x\"\\\/\n\u00e9\ud83d\ude00","b":[1,-2.5e3,true,false,null],"c":{}} "#.utf8))
        #expect(o["a"] == .string("x\"\\/\né😀"))
        #expect(o["b"] == .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]))
        #expect(o["c"] == .object([:]))
        for bad in [#"{"a":1,"a":1}"#, #"{"a":1,"\u0061":2}"#, #"{"a":{"b":1,"b":2}}"#] {
            #expect(throws: JOSEError.duplicateMember) { try StrictJSON.object(Array(bad.utf8)) }
        }
        for bad in ["[1]", "\"s\"", "{}{}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":tru}", "{'a':1}",
                    "{\"a\":\"\u{01}\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\x\"}", "{\"a\":1e999}", "{\"a\":NaN}", "", "{", "{\"a\"}"] {
            #expect(throws: JOSEError.self, "\(bad)") { try StrictJSON.object(Array(bad.utf8)) }
        }
        #expect(throws: JOSEError.self) { try StrictJSON.object([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]) } // invalid UTF-8
    }

    @Test("base64url: round trip at every length; padding, whitespace, + / and non-canonical bits are refused")
    func base64url() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        for bad in ["YW55IGNhcm5hbCBwbGVhcw==", "YW55 IGNh", "YW55\nIGNh", "+/8", "A", "AB", "AAB", "YR"] {
            #expect(Base64URL.decode(bad) == nil, "\(bad)")
        }
        #expect(Base64URL.decode("YQ") == [0x61] && Base64URL.decode("AA") == [0] && Base64URL.decode("AAA") == [0, 0])
    }

    @Test("Compact JWS: segments, signing input and alg; two or four segments, a missing alg, and b64 are refused")
    func compactShape() throws {
        let jws = try CompactJWS.parse(b64(#"{"alg":"ES256","typ":"application/JWT"}"#) + "." + b64(#"{"a":1}"#) + ".AQID")
        #expect(jws.algorithm == .es256 && jws.type == "jwt" && jws.signature == [1, 2, 3] && jws.payload == ["a": .number(1)])
        #expect(jws.signingInput == Array((b64(#"{"alg":"ES256","typ":"application/JWT"}"#) + "." + b64(#"{"a":1}"#)).utf8))
        for bad in ["a.b", "a.b.c.d", "", "..", b64(#"{"typ":"JWT"}"#) + ".e30.", b64(#"{"alg":7}"#) + ".e30."] {
            #expect(throws: JOSEError.self, "\(bad)") { try CompactJWS.parse(bad) }
        }
        #expect(throws: JOSEError.self) { try CompactJWS.parse(b64(#"{"alg":"ES256","b64":false}"#) + ".e30.") }
        #expect(throws: JOSEError.self) { try CompactJWS.parse(b64(#"{"alg":"ES256"}"#) + "." + b64("[1]") + ".") }
        #expect(try CompactJWS.parse(b64(#"{"alg":"HS256"}"#) + ".e30.").algorithm == nil)
    }
}
