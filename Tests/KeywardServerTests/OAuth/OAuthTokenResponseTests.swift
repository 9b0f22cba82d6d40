import Crypto
import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardServer
import KeywardTesting
import Testing

/// The token endpoint writes its response and reads its media type by hand (no JSONEncoder, no
/// Foundation string trimming on the hot path); these hold both to what the general code did.
@Suite("OAuth token endpoint: the response as written, the form's media type")
struct OAuthTokenResponseTests {
    /// A `private_key_jwt` assertion for `client`, valid for a minute.
    static func assertion(_ key: P256.Signing.PrivateKey, client: String, audience: String) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        let input = Base64URL.encode(Array(#"{"alg":"ES256","typ":"JWT"}"#.utf8)) + "."
            + Base64URL.encode(Array(#"{"aud":"\#(audience)","exp":\#(now + 60),"iat":\#(now),"iss":"\#(client)","jti":"\#(UUID().uuidString)","sub":"\#(client)"}"#.utf8))
        return input + "." + Base64URL.encode(Array(try key.signature(for: Array(input.utf8)).rawRepresentation))
    }

    @Test("a token response is byte for byte the sorted-key JSON the Codable encoder writes, no-store; the form's media type matches case-insensitively, with parameters; another type is 400 invalid_request")
    func responseAndMediaType() async throws {
        try await TestServer.with { s in
            let client = try await OAuthTokenFastPathTests.register(s, scope: "payments:read")
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            func post(_ type: String) async throws -> RawHTTPConnection.Response {
                let body = try OAuthTokenFastPathTests.form(s, client)
                try c.send(["POST /oauth/token HTTP/1.1", "Host: 127.0.0.1", "Content-Type: \(type)", "Content-Length: \(body.utf8.count)"].joined(separator: "\r\n")
                           + "\r\n\r\n" + body)
                return try await c.read()
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for type in ["application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded; charset=UTF-8", "application/x-www-form-urlencoded\t ;charset=utf-8"] {
                let r = try await post(type)
                #expect(r.status == 200, "\(type): \(r.status)")
                let decoded = try JSONDecoder().decode(TokenResponse.self, from: Data(r.body.utf8))
                #expect(r.body == String(decoding: try encoder.encode(decoded), as: UTF8.self))
                #expect(decoded.tokenType == "Bearer" && decoded.scope == "payments:read" && decoded.expiresIn == 300 && decoded.accessToken.hasPrefix("eyJ"))
                #expect(r.headers["cache-control"] == "no-store" && r.headers["pragma"] == "no-cache" && r.headers["content-type"] == "application/json")
            }
            for type in ["application/json", "application/x-www-form-urlencodedx", "text/plain", "application/x-www-form", ""] {
                let r = try await post(type)
                #expect(r.status == 400 && r.body.contains("invalid_request"), "\(type): \(r.status)")
            }
        }
    }
}
