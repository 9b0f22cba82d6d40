import Crypto
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardServer
import KeywardTesting
import Testing

/// Verify of a DPoP-bound token is answered on the event loop like an API key's (its body's
/// `dpop`, `htm` and `htu` are read by the fast codec), with the same answers as the router.
@Suite("verify fast path: DPoP-bound tokens", .serialized)
struct OAuthDPoPFastPathTests {
    static func proof(_ key: P256.Signing.PrivateKey, htm: String, htu: String, token: String?) throws -> String {
        let raw = Array(key.publicKey.rawRepresentation)
        let jwk = #"{"kty":"EC","crv":"P-256","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}"#
        let ath = token.map { #","ath":"\#(Base64URL.encode(Array(SHA256.hash(data: Array($0.utf8)))))""# } ?? ""
        let input = Base64URL.encode(Array(#"{"typ":"dpop+jwt","alg":"ES256","jwk":\#(jwk)}"#.utf8)) + "."
            + Base64URL.encode(Array(#"{"jti":"\#(UUID().uuidString)","htm":"\#(htm)","htu":"\#(htu)","iat":\#(Int(Date().timeIntervalSince1970))\#(ath)}"#.utf8))
        return input + "." + Base64URL.encode(Array(try key.signature(for: Array(input.utf8)).rawRepresentation))
    }

    @Test("a DPoP-bound token with a fresh proof is valid on the fast path; the same proof again, and the token without one, are binding_mismatch there too")
    func servedFast() async throws {
        try await TestServer.with { s in
            let client = try await OAuthTokenFastPathTests.register(s, dpopBound: true, scope: "payments:read")
            let key = client.key
            let c = try RawHTTPConnection(baseURL: s.baseURL)
            let form = try OAuthTokenFastPathTests.form(s, client)
            let tokenProof = try Self.proof(key, htm: "POST", htu: s.baseURL + "/oauth/token", token: nil)
            try c.send(["POST /oauth/token HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-www-form-urlencoded", "DPoP: \(tokenProof)",
                        "Content-Length: \(form.utf8.count)"].joined(separator: "\r\n") + "\r\n\r\n" + form)
            let issued = try await c.read()
            let object = try #require(try JSONSerialization.jsonObject(with: Data(issued.body.utf8)) as? [String: Any])
            #expect(object["token_type"] as? String == "DPoP")
            let token = try #require(object["access_token"] as? String)

            let resource = "https://api.example/v1/orders"
            let proof = try Self.proof(key, htm: "GET", htu: resource, token: token)
            func verify(_ body: String) async throws -> (RawHTTPConnection.Response, fast: Bool) {
                let before = s.runtime.fastPath.count
                try c.send(RawHTTPConnection.request("POST", "/v1/keys/verify", token: s.adminKey, body: body))
                let r = try await c.read()
                return (r, s.runtime.fastPath.count - before == 1)
            }
            let withProof = #"{"key":"\#(token)","scopes":["payments:read"],"dpop":"\#(proof)","htm":"GET","htu":"\#(resource)"}"#
            let first = try await verify(withProof)
            #expect(first.fast && first.0.status == 200 && first.0.body.contains(#""valid":true"#), "\(first.0.body)")
            let replayed = try await verify(withProof)
            #expect(replayed.fast && replayed.0.body.contains(#""reason":"binding_mismatch""#), "\(replayed.0.body)")
            let bare = try await verify(#"{"key":"\#(token)"}"#)
            #expect(bare.fast && bare.0.body.contains(#""reason":"binding_mismatch""#), "\(bare.0.body)")
        }
    }
}
