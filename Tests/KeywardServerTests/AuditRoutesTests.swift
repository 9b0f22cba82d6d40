import Crypto
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardServer
import KeywardStore
import KeywardTesting
import NIOHTTP1
import Testing

@Suite("Audit")
struct AuditRoutesTests {
    @Test("every change is chained; GET /v1/audit pages it; fingerprints, never plaintext")
    func pages() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn)
            _ = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":0}"#, issuing: true).json()["key"].map { s.ledger.record($0 as! String) }
            _ = try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"done"}"#)
            var items: [[String: Any]] = []
            var cursor: String?
            repeat {
                let r = try await s.request("GET", "/v1/audit?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(r.status == 200)
                items += r.json()["items"] as? [[String: Any]] ?? []
                cursor = r.json()["next_cursor"] as? String
            } while cursor != nil
            let actions = items.compactMap { $0["action"] as? String }
            #expect(actions == ["system.bootstrap", "policy.exception", "key.issued", "identity.created", "key.issued", "key.rotated", "key.revoked"])
            let seqs = items.compactMap { $0["seq"] as? Int }
            #expect(seqs == Array(1...7))
            for (a, b) in zip(items, items.dropFirst()) { #expect(b["prev_hash"] as? String == a["hash"] as? String) }
            let issued = items[4]["details"] as? [String: String] ?? [:]
            #expect(issued["fingerprint"]?.hasPrefix("hmac-sha256:") == true)
            #expect(!String(describing: items).contains(key))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("the checkpoint is an Ed25519 signature over the head")
    func checkpoint() async throws {
        try await TestServer.with { s in
            _ = try await s.createIdentity()
            let r = try await s.request("GET", "/v1/audit/checkpoint")
            #expect(r.status == 200)
            let cp = try JSONDecoder().decode(AuditCheckpoint.self, from: r.body)
            #expect(cp.seq == 4)
            let key = try DataFolder.auditSigningKey(at: s.dataDirectory + "/audit-signing.key", create: false)
            #expect(cp.isValidSignature(trusted: key.publicKey))
            #expect(cp.hash == (try await s.runtime.store.auditHead().hash))
        }
    }

    @Test("key files are created 0600 in a 0700 data folder")
    func keyFilePermissions() async throws {
        try await TestServer.with { s in
            for name in ["hmac.key", "audit-signing.key"] {
                let attrs = try FileManager.default.attributesOfItem(atPath: s.dataDirectory + "/" + name)
                #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            }
        }
    }
}
