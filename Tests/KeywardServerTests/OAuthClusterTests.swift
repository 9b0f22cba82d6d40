import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// Access tokens on a PostgreSQL cluster: the signing keys live in the store (sealed under the
/// cluster's HMAC key), so a token issued on one node verifies on another; revoking a client or
/// rotating the signing key on one node reaches the others through the change feed (case 50/51).
@Suite("OAuth on a cluster", .serialized)
struct OAuthClusterTests {
    @Test("a token from node A verifies on node B; a client revoked on B is revoked on A; a rotated signing key signs tokens B accepts")
    func tokensAcrossNodes() async throws {
        let url = try PostgresServer.instance().createDatabase()
        let dir = try TempDirectory("keyward-oauth-cluster")
        defer { dir.remove() }
        try await TestServer.with(database: url) { a in
            // Every node of a cluster names the same issuer (--issuer): the URL clients use, here node A's.
            try await TestServer.with(database: url, adminKey: a.adminKey, configure: { $0.oauthIssuer = a.baseURL }) { b in
                let idn = try await a.createIdentity(scopes: ["billing:read"])
                let client = try await OAuthTestClient.register(base: a.baseURL, admin: a.adminKey, identity: idn, scope: "billing:read", tokens: 2,
                                                                folder: dir.path)
                for t in client.tokens { a.ledger.record(t) }
                // Bounded polls: node B learns of the client only through PostgreSQL NOTIFY.
                let seen = try await eventually { try await b.verify(client.tokens[0])["valid"] as? Bool == true }
                #expect(seen != nil, "a token issued on node A never became valid on node B")

                let rev = try await b.request("POST", "/v1/clients/\(client.clientID)/revoke", body: #"{"reason":"cluster test"}"#)
                #expect(rev.status == 200)
                #expect(rev.json()["tokens_revoked"] as? Int == 2)
                // Node B committed the revocation: it answers `revoked` at once, node A as soon as the notice arrives.
                #expect(try await b.verify(client.tokens[1])["reason"] as? String == "revoked")
                let propagated = try await eventually { try await a.verify(client.tokens[0])["reason"] as? String == "revoked" }
                #expect(propagated != nil, "node A kept accepting a token of a client revoked on node B")

                let rot = try await a.request("POST", "/v1/oauth/signing-keys/rotate", body: "{}")
                #expect(rot.status == 200)
                let next = try await OAuthTestClient.register(base: a.baseURL, admin: a.adminKey, identity: idn, scope: "billing:read", tokens: 1,
                                                              folder: dir.path)
                a.ledger.record(next.tokens[0])
                let rotated = try await eventually { try await b.verify(next.tokens[0])["valid"] as? Bool == true }
                #expect(rotated != nil, "node B never accepted a token signed with the key rotated in on node A")
                let jwks = try await b.anonymous("GET", "/.well-known/jwks.json")
                #expect((jwks.json()["keys"] as? [Any])?.count == 2, "the retired key stays published until its last token expires")
            }
        }
    }

    /// A DPoP-bound token from requests-oauth2client and `proofs` proofs for GET `url` by its key.
    static let dpopScript = """
        import json, sys, requests
        from requests_oauth2client import OAuth2Client, PrivateKeyJwt
        from jwskate import Jwk
        base, admin, identity, scope, url, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
        key = Jwk.generate(alg="ES256").with_kid_thumbprint()
        r = requests.post(base + "/v1/clients", headers={"Authorization": "Bearer " + admin},
                          json={"identity_id": identity, "token_endpoint_auth_method": "private_key_jwt", "dpop_bound_access_tokens": True,
                                "jwks": {"keys": [key.public_jwk().to_dict()]}, "scope": scope})
        assert r.status_code == 201, r.text
        oauth = OAuth2Client(token_endpoint=base + "/oauth/token", auth=PrivateKeyJwt(r.json()["client_id"], key, alg="ES256"), testing=True)
        tok = oauth.client_credentials(scope=scope, dpop=True)
        import base64, hashlib
        ath = base64.urlsafe_b64encode(hashlib.sha256(str(tok.access_token).encode()).digest()).rstrip(b"=").decode()
        proofs = [str(tok.dpop_key.proof(htm="GET", htu=url, ath=ath)) for _ in range(count)]
        print(json.dumps({"token": str(tok.access_token), "proofs": proofs}))
        """

    @Test("case 33 across nodes: a DPoP proof accepted at verify on node A is refused on node B (the proof's jti is recorded in the shared store); a fresh proof is valid on B")
    func dpopProofReplayAcrossNodes() async throws {
        let url = try PostgresServer.instance().createDatabase()
        try await TestServer.with(database: url) { a in
            try await TestServer.with(database: url, adminKey: a.adminKey, configure: { $0.oauthIssuer = a.baseURL }) { b in
                let idn = try await a.createIdentity(scopes: ["billing:read"])
                let api = "https://api.example/invoices"
                let r = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", Self.dpopScript, a.baseURL, a.adminKey, idn, "billing:read", api, "2"])
                #expect(r.status == 0, "\(r.stderr.suffix(2_000))")
                let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
                let token = try #require(obj["token"] as? String), proofs = try #require(obj["proofs"] as? [String])
                a.ledger.record(token)
                for p in proofs { a.ledger.record(p) }
                func present(_ node: TestServer, _ proof: String?) async throws -> [String: Any] {
                    var body: [String: Any] = ["key": token, "htm": "GET", "htu": api]
                    if let proof { body["dpop"] = proof }
                    let res = try await node.request("POST", "/v1/keys/verify",
                                                     body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
                    return res.json()
                }
                // Node B knows the client once the change feed delivered it: without a proof it then says binding_mismatch.
                let known = try await eventually { try await present(b, nil)["reason"] as? String == "binding_mismatch" }
                #expect(known != nil, "node B never learned of the client")
                #expect(try await present(a, proofs[0])["valid"] as? Bool == true)
                let replayed = try await present(b, proofs[0])
                #expect(replayed["valid"] as? Bool == false)
                #expect(replayed["reason"] as? String == "binding_mismatch", "the proof node A took is refused on node B")
                #expect(try await present(b, proofs[1])["valid"] as? Bool == true, "a fresh proof of the same key is valid on node B")
                #expect(try await present(a, proofs[1])["reason"] as? String == "binding_mismatch")
            }
        }
    }
}
