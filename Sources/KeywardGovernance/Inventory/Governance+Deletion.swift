import Foundation
import KeywardCore
import KeywardStore

/// DELETE for consumers, imported credentials and webhooks: each is audited with what it was
/// (never a secret), and refused where it would hide work still to do.
extension Governance {
    package func deleteConsumer(_ id: ConsumerID, actor: Principal) async throws {
        try await store.write { tx in
            guard let c = try await self.store.consumer(id, in: tx.db) else { throw KeywardError.notFound("consumer") }
            try await self.store.deleteConsumer(id, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .consumerDeleted, target: id.description, details: [
                "name": c.name, "kind": c.kind.rawValue, "environment": c.environment, "holds": c.holds.map(\.description).joined(separator: " "),
            ]))
        }
    }

    /// An imported credential with an unresolved incident stays until that incident is
    /// resolved: deleting it would drop the incident's owner and blast radius.
    package func deleteCredential(_ id: CredentialID, actor: Principal) async throws {
        try await store.write { tx in
            guard let c = try await self.store.credential(id, in: tx.db) else { throw KeywardError.notFound("credential") }
            if let open = try await self.store.incident(dedupeKey: id.description, in: tx.db) {
                throw KeywardError(.conflict, "incident \(open.id) about this credential is \(open.status.rawValue): resolve it first (keyward incidents resolve \(open.id) --reason …)")
            }
            try await self.store.deleteCredential(id, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .credentialDeleted, target: id.description, details: [
                "identity_id": c.identityID.description, "name": c.name, "provider": c.provider, "fingerprint": c.fingerprint.description,
            ]))
        }
    }

    package func deleteWebhook(_ id: WebhookID, actor: Principal) async throws {
        try await store.write { tx in
            guard let w = try await self.store.webhooks(in: tx.db).first(where: { $0.id == id }) else { throw KeywardError.notFound("webhook") }
            let dropped = try await self.store.deleteWebhook(id, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .webhookDeleted, target: id.description, details: [
                "url": w.urlDisplay, "events": w.events.joined(separator: " "), "pending_deliveries_dropped": String(dropped),
            ]))
        }
    }
}
