import Foundation
import KeywardCore
import KeywardStore
import KeywardTesting
import Testing

/// `Store.verifyAudit` on both backends (its one-snapshot read differs: a deferred SQLite
/// transaction, PostgreSQL REPEATABLE READ). case 75 of docs/security-cases.md, issue 10 item 9.
@Suite("Store audit verification")
struct AuditVerifyStoreTests {
    @Test("the state written with its records verifies; a change written without one is named", arguments: Backend.allCases)
    func stateAgainstAudit(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.open()
        defer { cleanup() }
        let identity = sampleIdentity()
        var (key, _) = sampleKey(identity: identity.id)
        try await store.write { tx in
            try await store.insertIdentity(identity, in: tx)
            tx.audit(AuditEntry(actor: "test", action: .identityCreated, target: identity.id.description))
            try await store.insertKey(key, in: tx)
            tx.audit(AuditEntry(actor: "test", action: .keyIssued, target: key.id.description, details: [
                "identity_id": identity.id.description, "scopes": "a:read", "version": "1",
                "expires_at": String(key.versions[0].expiresAt!.unixMillis),
            ]))
        }
        guard case .ok(let count, _, _, let rows, let skipped) = try await store.verifyAudit(checkpoint: nil) else {
            Issue.record("a consistent store failed")
            await store.close()
            return
        }
        #expect(count == 2 && rows == 2 && skipped == 0)

        // Revoked with its record: still consistent. Then un-revoked without one.
        key.status = .revoked
        try await store.write { tx in
            try await store.updateKey(key, in: tx)
            tx.audit(AuditEntry(actor: "test", action: .keyRevoked, target: key.id.description, details: ["reason": "r"]))
        }
        guard case .ok = try await store.verifyAudit(checkpoint: nil) else { Issue.record("revocation with its record failed"); await store.close(); return }
        key.status = .active
        try await store.write { tx in try await store.updateKey(key, in: tx) }
        let verdict = try await store.verifyAudit(checkpoint: nil)
        #expect(verdict == .stateDiffers(StateDisagreement(table: "api_keys", id: key.id.description, field: "status", expected: "revoked", seq: 3,
                                                           found: "active"), records: 3))
        await store.close()
    }
}
