import Foundation
import KeywardOAuth
import Testing

/// The first normative pieces of issue 13: RFC 7638 thumbprints and RFC 9449 `htu` comparison.
@Suite("OAuth: RFC 7638 thumbprints, RFC 9449 htu")
struct RFCBasicsTests {
    @Test("RFC 7638 §3.1's example RSA key has the thumbprint the RFC gives; member order and private members do not matter")
    func rsaExample() throws {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        let expected = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        #expect(try JWKThumbprint.sha256(["kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"]) == expected)
        #expect(try JWKThumbprint.sha256(json: #"{"e":"AQAB","kid":"x","n":"\#(n)","kty":"RSA","d":"private-part-ignored"}"#) == expected)
    }

    @Test("EC and OKP keys use their own members; a missing member or an unknown key type is an error, not a thumbprint")
    func otherKeyTypes() throws {
        let ec: [String: Any] = ["kty": "EC", "crv": "P-256", "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs", "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"]
        let print = try JWKThumbprint.sha256(ec)
        #expect(print.count == 43 && !print.contains("=") && !print.contains("+") && !print.contains("/"))
        var withPrivate = ec
        withPrivate["d"] = "test-only-private-scalar"
        #expect(try JWKThumbprint.sha256(withPrivate) == print)
        var other = ec
        other["y"] = "AAAA"
        #expect(try JWKThumbprint.sha256(other) != print)
        #expect(throws: JWKThumbprint.Failure.missingMember("y")) { try JWKThumbprint.sha256(["kty": "EC", "crv": "P-256", "x": "AA"]) }
        #expect(throws: JWKThumbprint.Failure.unsupportedKeyType) { try JWKThumbprint.sha256(["kty": "oct", "k": "AA"]) }
        #expect(throws: JWKThumbprint.Failure.unsupportedKeyType) { try JWKThumbprint.sha256(json: "[1,2]") }
        #expect(try JWKThumbprint.sha256(["kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"]).count == 43)
    }

    @Test("htu: scheme and host case, default port, percent-encoding and dot segments are normalised; query and fragment dropped")
    func htuNormalised() {
        let token = "https://keyward.example.com/oauth/token"
        for same in ["HTTPS://Keyward.Example.COM:443/oauth/token", "https://keyward.example.com/oauth/token?x=1#frag",
                     "https://keyward.example.com/oauth/./token", "https://keyward.example.com/oauth/x/../token",
                     "https://keyward.example.com/%6Fauth/token", "https://keyward.example.com/oauth/to%6ben"] {
            #expect(HTTPTargetURI.matches(same, expected: token), "\(same)")
        }
        for other in ["http://keyward.example.com/oauth/token", "https://keyward.example.com:8443/oauth/token",
                      "https://keyward.example.com/oauth/token/", "https://evil.example.com/oauth/token",
                      "https://keyward.example.com/oauth%2Ftoken", "https://user@keyward.example.com/oauth/token",
                      "/oauth/token", "not a uri", "https://keyward.example.com/oauth/%zz"] {
            #expect(!HTTPTargetURI.matches(other, expected: token), "\(other)")
        }
        #expect(HTTPTargetURI.normalized("https://a.example") == "https://a.example/")
        #expect(HTTPTargetURI.normalized("https://a.example/%7e/%2f") == "https://a.example/~/%2F")
    }

    @Test("htu: asked again (normal forms are remembered), every answer is the same; far more URIs than are remembered change nothing")
    func htuRemembered() {
        let token = "https://keyward.example.com/oauth/token"
        for _ in 0..<3 {
            #expect(HTTPTargetURI.matches("HTTPS://Keyward.Example.COM:443/oauth/token", expected: token))
            #expect(!HTTPTargetURI.matches("https://keyward.example.com/oauth/revoke", expected: token))
            #expect(!HTTPTargetURI.matches("not a uri", expected: token) && !HTTPTargetURI.matches(token, expected: "not a uri"))
        }
        for i in 0..<(HTTPTargetURI.recentLimit * 2 + 10) {
            #expect(HTTPTargetURI.matches("https://a.example/r/./\(i)", expected: "https://A.example/r/\(i)"))
        }
        #expect(!HTTPTargetURI.matches("https://keyward.example.com/oauth/token/", expected: token))
    }
}
