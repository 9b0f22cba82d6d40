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
}
