import Foundation

/// A real OAuth client for tests: an EC P-256 key made by openssl at test time, registered
/// over HTTP as a `private_key_jwt` client, and tokens fetched by Python's requests-oauth2client.
package struct OAuthTestClient: Sendable {
    package var clientID: String
    /// RFC 7638 thumbprint of the public key (computed by joserfc).
    package var thumbprint: String
    package var tokens: [String]
    /// The private key file (in the caller's folder).
    package var keyFile: String

    static let script = """
        import json, sys, requests
        from joserfc.jwk import import_key
        from requests_oauth2client import OAuth2Client, PrivateKeyJwt
        base, admin, identity, pem_path, count, scope = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
        key = import_key(open(pem_path, "rb").read(), parameters={"alg": "ES256", "kid": "test"})
        r = requests.post(base + "/v1/clients", headers={"Authorization": "Bearer " + admin},
                          json={"identity_id": identity, "token_endpoint_auth_method": "private_key_jwt",
                                "jwks": {"keys": [key.as_dict(private=False)]}, "scope": scope})
        assert r.status_code == 201, r.text
        cid = r.json()["client_id"]
        oauth = OAuth2Client(token_endpoint=base + "/oauth/token", auth=PrivateKeyJwt(cid, key.as_dict(private=True), alg="ES256"), testing=True)
        tokens = [str(oauth.client_credentials(scope=scope).access_token) for _ in range(count)]
        print(json.dumps({"client_id": cid, "thumbprint": key.thumbprint(), "tokens": tokens}))
        """

    /// Makes a key in `folder`, registers a client for `identity` with `scope`, and fetches `tokens` tokens.
    package static func register(base: String, admin: String, identity: String, scope: String, tokens: Int, folder: String) async throws -> OAuthTestClient {
        let pem = folder + "/client-\(UInt32.random(in: 0 ... .max)).pem"
        let gen = try await ProcessRunner.run("/usr/bin/openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pem])
        guard gen.status == 0 else { throw TestClientError(message: "openssl: \(gen.stderr)") }
        let r = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, base, admin, identity, pem, String(tokens), scope])
        guard r.status == 0, let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let id = obj["client_id"] as? String, let t = obj["thumbprint"] as? String, let list = obj["tokens"] as? [String] else {
            throw TestClientError(message: "the OAuth test client failed: \(r.stderr.suffix(2_000))")
        }
        return OAuthTestClient(clientID: id, thumbprint: t, tokens: list, keyFile: pem)
    }

    struct TestClientError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
