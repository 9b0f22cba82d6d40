import Foundation
import KeywardCore
import KeywardStore

extension Governance {
    /// Sets a key's own rate limit (`PATCH /v1/keys/{id}`), or removes it (nil: the policy's again);
    /// audited as `key.updated`. A revoked key keeps what it had: there is nothing left to limit.
    package func setRateLimit(of id: KeyID, to limit: RateLimit?, actor: Principal) async throws -> APIKey {
        try await store.write { tx in
            guard var key = try await self.store.key(id, in: tx.db) else { throw KeywardError.notFound("key") }
            guard key.status != .revoked else { throw KeywardError(.conflict, "the key is revoked") }
            if key.identityID == .keyward, !actor.isAdmin { throw KeywardError(.forbidden, "only an admin may change Keyward's own keys") }
            key.rateLimit = limit
            key.updatedAt = tx.now
            try await self.store.updateKey(key, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .keyUpdated, target: id.description,
                                details: ["rate_limit": limit?.summary ?? "policy"]))
            return key
        }
    }
}
