import Foundation
import KeywardAPI
import KeywardServer
import NIOCore
import Testing

@Suite("Verify fast codec agrees with the Codable path")
struct VerifyCodecTests {
    @Test("the fast reader decodes the common shapes exactly as JSONDecoder does", arguments: [
        #"{"key":"kw_live_abc"}"#,
        #" { "key" : "kw_live_abc" , "scopes" : [ "a:read" , "b" ] } "#,
        #"{"scopes":[],"key":"k","source":{"ip":"10.0.0.1","user_agent":"curl/8","client_cert_subject":"CN=x","client_cert_thumbprint":"ab"}}"#,
        #"{"key":"ключ","source":{}}"#,
        #"{"key":"eyJ.a.b","scopes":["a:read"],"dpop":"eyJ.c.d","htm":"GET","htu":"https://api.example/v1/x","audience":"https://api.example"}"#,
        #"{"htu":"https://api.example/v1/x","key":"eyJ.a.b","htm":"POST","dpop":"eyJ.c.d"}"#,
    ])
    func agrees(_ json: String) throws {
        let fast = try #require(VerifyCodec.decode(ByteBuffer(string: json)))
        let slow = try WireCoding.decoder().decode(VerifyRequest.self, from: Data(json.utf8))
        #expect(fast.key == slow.key)
        #expect(fast.scopes == slow.scopes)
        #expect(fast.source?.ip == slow.source?.ip)
        #expect(fast.source?.userAgent == slow.source?.userAgent)
        #expect(fast.source?.clientCertSubject == slow.source?.clientCertSubject)
        #expect(fast.source?.clientCertThumbprint == slow.source?.clientCertThumbprint)
        #expect(fast.dpop == slow.dpop && fast.htm == slow.htm && fast.htu == slow.htu && fast.audience == slow.audience)
    }

    @Test("JSON is the media type application/json in any case, with parameters and HTTP whitespace; nothing else", arguments: [
        (nil, true), ("application/json", true), ("Application/JSON; charset=utf-8", true), (" \tapplication/json \t", true),
        ("application/json;", true), ("APPLICATION/JSON ;q=1", true),
        ("application/jsonx", false), ("application/json-patch", false), ("text/json", false), ("application/problem+json", false),
        ("", false), (";application/json", false), ("application/ json", false), ("application/js\u{00F6}n", false),
        ("\u{00A0}application/json", false), ("application/json\u{2003}", false),
    ] as [(String?, Bool)])
    func mediaType(_ contentType: String?, _ json: Bool) {
        #expect(JSONIO.isJSON(contentType) == json)
    }

    @Test("anything unusual is left to the full decoder", arguments: [
        #"{"key":"a\"b"}"#, #"{"key":"a\u0041"}"#, #"{"key":1}"#, #"{"key":"a","extra":1}"#, #"{"key":"a","key":"b"}"#,
        #"{"scopes":["a"]}"#, #"{"key":"a"} x"#, #"{"key":"a","source":{"ip":1}}"#, "", "[]", #"{"key":"a","scopes":null}"#,
        #"{"key":"a","dpop":"p","dpop":"q"}"#, #"{"key":"a","htu":"https:\/\/x"}"#, #"{"key":"a","htm":null}"#,
    ])
    func fallsBack(_ json: String) {
        #expect(VerifyCodec.decode(ByteBuffer(string: json)) == nil)
    }

    @Test("invalid UTF-8 is left to the full decoder")
    func invalidUTF8() {
        var b = ByteBuffer(string: #"{"key":""#)
        b.writeBytes([0xC3, 0x28])
        b.writeString(#""}"#)
        #expect(VerifyCodec.decode(b) == nil)
    }

    @Test("the fast writer produces the Codable encoder's bytes", arguments: [
        VerifyResponse(valid: false, reason: "malformed"),
        VerifyResponse(valid: false, reason: "revoked", keyId: "key_0123456789abcdef0123456789abcdef", version: 3, identityId: "idn_0123456789abcdef0123456789abcdef",
                       expiresAt: Date(timeIntervalSince1970: 1_790_000_000)),
        VerifyResponse(valid: true, keyId: "key_0123456789abcdef0123456789abcdef", version: 1, identityId: "idn_0123456789abcdef0123456789abcdef",
                       scopes: ["a:read", "we\"ird/\u{1}"], expiresAt: Date(timeIntervalSince1970: 4_102_444_799)),
    ])
    func encodes(_ r: VerifyResponse) throws {
        var buf = ByteBuffer()
        VerifyCodec.encode(r, into: &buf)
        let slow = String(decoding: try WireCoding.encoder().encode(r), as: UTF8.self)
        #expect(String(buffer: buf) == slow)
    }
}
