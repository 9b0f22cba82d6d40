import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// Issue 10 item 1 through the binary: a leaked admin key is revoked (right), and management
/// access comes back offline with `keyward admin recover`, audited, printed once.
@Suite("admin lockout and offline recovery", .serialized)
struct AdminRecoveryTests {
    static func request(_ url: String, _ method: String, _ path: String, token: String, body: String? = nil) async throws -> (status: Int, body: String) {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", "Authorization: Bearer \(token)"]
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let r = try await ProcessRunner.run("/usr/bin/curl", args + [url + path])
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test("a leaked admin key reported with a possession proof is revoked; admin recover prints a new key once, audited; a restart loads it")
    func leakedAdminRecovered() async throws {
        let dir = try TempDirectory("keyward-recover")
        defer { dir.remove() }
        let data = dir.file("data")
        let (p, url, bootstrap) = try await KeywardBinary.serve(dataDirectory: data)
        let admin = try #require(bootstrap)
        // A report key (it is what a scanner holds) reports the admin key with proof of holding it.
        let created = try await Self.request(url, "POST", "/v1/keys", token: admin,
                                       body: #"{"identity_id":"idn_00000000000000000000000000000000","scopes":["keyward:report"],"environment":"live","ttl_seconds":3600}"#)
        #expect(created.status == 201)
        let reporter = try #require((try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])?["key"] as? String)
        let digest = SecretDigest(hashing: admin.utf8).hex, proof = PossessionProof.proof(of: Array(admin.utf8)).hex
        let report = try await Self.request(url, "POST", "/v1/exposures", token: reporter, body: """
            {"source":"scanner","items":[{"rule_id":"keyward.api-key","sha256":"\(digest)","possession_proof":"\(proof)","path":"ops/admin.env"}]}
            """)
        #expect(report.status == 202)
        #expect(report.body.contains(#""action":"revoke""#))
        #expect(try await Self.request(url, "GET", "/v1/identities", token: admin).status == 401)
        #expect(p.stop() == 0)
        // A restart does not print a new key: the store is not empty.
        let (p2, _, none) = try await KeywardBinary.serve(dataDirectory: data)
        #expect(none == nil)
        #expect(p2.stop() == 0)

        // Recovery needs the HMAC key file: without it, exit 2 and nothing written.
        let elsewhere = dir.file("no-key")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let missing = try await KeywardBinary.run(["admin", "recover", "--database", "sqlite:\(data)/keyward.sqlite", "--hmac-key-file", elsewhere + "/hmac.key"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("hmac.key"))
        let recovered = try await KeywardBinary.run(["admin", "recover", "--data-dir", data])
        #expect(recovered.status == 0, "\(recovered.stderr)")
        let newKey = try #require(recovered.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("kw_live_") }.map(String.init))
        #expect(APIKeyFormat.parse(newKey) == .wellFormed(.live))
        #expect(recovered.stdout.contains("usable admin keys before: 0"))

        let (p3, url3, _) = try await KeywardBinary.serve(dataDirectory: data)
        #expect(try await Self.request(url3, "GET", "/v1/identities", token: newKey).status == 200)
        #expect(try await Self.request(url3, "GET", "/v1/identities", token: admin).status == 401)
        let audit = try await Self.request(url3, "GET", "/v1/audit?limit=500", token: newKey).body
        #expect(audit.contains("admin.recovered") && audit.contains("local-operator:"))
        #expect(!audit.contains(newKey) && !audit.contains(admin))
        #expect(p3.stop() == 0)
        // The recovery is part of a chain and state that verify.
        let verified = try await KeywardBinary.run(["audit", "verify", "--data-dir", data])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    }
}
