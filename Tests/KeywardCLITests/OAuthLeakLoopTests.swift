import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// The loop no single tool closes: a private key registered to an OAuth client is committed, the
/// scanner reports its public half's thumbprint (never the key), the server matches it to the
/// client, revokes the client and every token it holds, and opens an incident whose blast radius
/// lists those tokens. A leaked access token itself is revoked by its SHA-256.
@Suite("OAuth leak loop (scan → client contained)", .serialized)
struct OAuthLeakLoopTests {
    static func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    static func call(_ url: String, _ admin: String, _ method: String, _ path: String, json body: String? = nil, form: String? = nil) async throws -> [String: Any] {
        var args = ["-s", "-X", method, url + path, "-H", "Authorization: Bearer " + admin]
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        if let form { args += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", form] }
        let r = try await ProcessRunner.run("/usr/bin/curl", args)
        return try json(r.stdout)
    }

    /// A served instance with an identity that may hold `billing:read`: the server, its URL, the admin key, the identity id.
    static func serveWithIdentity(_ dir: TempDirectory) async throws -> (BackgroundProcess, String, String, String) {
        let (server, url, adminKey) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        do {
            let admin = try #require(adminKey)
            let identity = try await call(url, admin, "POST", "/v1/identities", json: #"{"name":"billing-sync","kind":"service","technical_owner":"ops@example.com","purpose":"nightly sync","environment":"production","allowed_scopes":["billing:read"]}"#)
            return (server, url, admin, try #require(identity["id"] as? String))
        } catch {
            server.stop()
            throw error
        }
    }

    @Test("a committed private key: the scan reports its thumbprint, the client is revoked, its 3 tokens die, an incident lists them")
    func privateKeyLeak() async throws {
        let dir = try TempDirectory("keyward-oauth-leak")
        defer { dir.remove() }
        let (server, url, admin, idn) = try await Self.serveWithIdentity(dir)
        defer { server.stop() }
        try FileManager.default.createDirectory(atPath: dir.file("repo/deploy"), withIntermediateDirectories: true)
        let made = try await OAuthTestClient.register(base: url, admin: admin, identity: idn, scope: "billing:read", tokens: 3, folder: dir.file("repo/deploy"))
        let pem = made.keyFile
        let cid = made.clientID
        let tokens = made.tokens
        for t in tokens { #expect(try await Self.call(url, admin, "POST", "/v1/keys/verify", json: #"{"key":"\#(t)"}"#)["valid"] as? Bool == true) }

        let scan = try await KeywardBinary.run(["scan", "--cache-dir", KeywardBinary.ruleCache, dir.file("repo"), "--report-to", url, "--format", "json"],
                                               env: KeywardBinary.scanEnvironment(dir).merging(["KEYWARD_TOKEN": admin]) { $1 })
        #expect(scan.status == 1, "\(scan.stderr)")
        // The finding names the key by its public thumbprint, never by its bytes.
        #expect(scan.stdout.contains(made.thumbprint))
        let keyBody = try String(contentsOfFile: pem, encoding: .utf8).split(separator: "\n")[1]
        #expect(!scan.stdout.contains(keyBody) && !scan.stderr.contains(keyBody))

        let client = try await Self.call(url, admin, "GET", "/v1/clients/" + cid)
        #expect(client["status"] as? String == "revoked")
        for t in tokens {
            let v = try await Self.call(url, admin, "POST", "/v1/keys/verify", json: #"{"key":"\#(t)"}"#)
            #expect(v["valid"] as? Bool == false)
            #expect(v["reason"] as? String == "revoked")
            #expect(try await Self.call(url, admin, "POST", "/oauth/introspect", form: "token=" + t)["active"] as? Bool == false)
        }
        let incidents = try #require(try await Self.call(url, admin, "GET", "/v1/incidents")["items"] as? [[String: Any]])
        let incident = try #require(incidents.first { ($0["target_id"] as? String) == cid })
        #expect(incident["status"] as? String == "contained")
        let detail = try await Self.call(url, admin, "GET", "/v1/incidents/" + (try #require(incident["id"] as? String)))
        let radius = try #require(detail["blast_radius"] as? [String: Any])
        let derived = try #require(radius["derived_credentials"] as? [[String: Any]])
        #expect(derived.filter { $0["kind"] as? String == "oauth_token" }.count == 3)
        // No key material anywhere in the store.
        let db = FileManager.default.contents(atPath: dir.file("data/keyward.sqlite")) ?? Data()
        #expect(db.range(of: Data(keyBody.utf8)) == nil)
    }

    @Test("a leaked access token reported by its SHA-256 is revoked at once; its client and other tokens live on")
    func tokenLeak() async throws {
        let dir = try TempDirectory("keyward-oauth-leak")
        defer { dir.remove() }
        let (server, url, admin, idn) = try await Self.serveWithIdentity(dir)
        defer { server.stop() }
        let made = try await OAuthTestClient.register(base: url, admin: admin, identity: idn, scope: "billing:read",
                                                      tokens: 2, folder: dir.path)
        let tokens = made.tokens
        let report = #"{"source":"internal","items":[{"rule_id":"keyward.oauth-token","sha256":"\#(SecretDigest(hashing: tokens[0].utf8).hex)"}]}"#
        let receipt = try await Self.call(url, admin, "POST", "/v1/exposures", json: report)
        let result = try #require((receipt["results"] as? [[String: Any]])?.first)
        #expect(result["classification"] as? String == "valid")
        #expect(result["action"] as? String == "revoke")
        #expect(try await Self.call(url, admin, "POST", "/v1/keys/verify", json: #"{"key":"\#(tokens[0])"}"#)["reason"] as? String == "revoked")
        #expect(try await Self.call(url, admin, "POST", "/v1/keys/verify", json: #"{"key":"\#(tokens[1])"}"#)["valid"] as? Bool == true)
        #expect(try await Self.call(url, admin, "GET", "/v1/clients/" + made.clientID)["status"] as? String == "active")
    }
}
