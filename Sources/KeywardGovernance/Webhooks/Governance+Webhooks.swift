import Crypto
import Foundation
import KeywardCore
import KeywardStore

/// A webhook subscription as the client asked for it (checked here).
package struct NewWebhook: Sendable {
    package var url: String
    /// incident.opened, incident.contained, incident.resolved, key.revoked, key.rotated, key.expiring, key.scopes_narrowed, or `*`.
    package var events: [String]
    package init(url: String, events: [String]) {
        self.url = url
        self.events = events
    }
}

extension Governance {
    package static let webhookEvents = WebhookEventType.allCases.map(\.rawValue)
    static let webhookSealPurpose = "webhook-secret"
    static let webhookURLSealPurpose = "webhook-url"

    /// Creates a subscription; returns it with its signing secret (shown once).
    package func createWebhook(_ r: NewWebhook, actor: Principal) async throws -> (WebhookRecord, String) {
        let (scheme, host, port) = try Validate.webhookURL(r.url)
        guard !r.events.isEmpty, r.events.count <= 20, r.events.allSatisfy({ $0 == "*" || Self.webhookEvents.contains($0) }) else {
            throw KeywardError(.validation, "events: one or more of \(Self.webhookEvents.joined(separator: ", ")) or *")
        }
        let secret = "whsec_" + Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        // Both sealed values are bound to the row's id: copied into another row, they do not open.
        let id = WebhookID.random()
        let sealed = try fingerprints.seal(secret, purpose: Self.webhookSealPurpose, owner: id.description)
        let sealedURL = try fingerprints.seal(r.url, purpose: Self.webhookURLSealPurpose, owner: id.description)
        let display = "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") + "/…"
        return try await store.write { tx in
            let w = WebhookRecord(id: id, urlSealed: sealedURL, urlDisplay: display, secretSealed: sealed, events: Array(Set(r.events)).sorted(), status: "active", createdAt: tx.now)
            try await self.store.insertWebhook(w, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .webhookCreated, target: w.id.description, details: [
                "url_host": host, "events": w.events.joined(separator: " "), "secret_fingerprint": self.fingerprints.fingerprint(value: secret).description,
            ]))
            return (w, secret)
        }
    }

    /// Reseals, bound to their row, the webhook secrets and URLs sealed before 0.12 (with no
    /// owner); run at start, before the dispatcher reads them. Returns how many rows changed.
    @discardableResult
    package func resealUnboundWebhooks() async throws -> Int {
        try await store.write { tx in
            var changed = 0
            for var w in try await self.store.webhooks(in: tx.db)
            where FingerprintKey.isUnbound(w.secretSealed) || FingerprintKey.isUnbound(w.urlSealed) {
                let owner = w.id.description
                if FingerprintKey.isUnbound(w.secretSealed) {
                    let secret = try self.fingerprints.openUnbound(w.secretSealed, purpose: Self.webhookSealPurpose)
                    w.secretSealed = try self.fingerprints.seal(secret, purpose: Self.webhookSealPurpose, owner: owner)
                }
                if FingerprintKey.isUnbound(w.urlSealed) {
                    let url = try self.fingerprints.openUnbound(w.urlSealed, purpose: Self.webhookURLSealPurpose)
                    w.urlSealed = try self.fingerprints.seal(url, purpose: Self.webhookURLSealPurpose, owner: owner)
                }
                try await self.store.updateWebhookSeals(w, in: tx)
                changed += 1
            }
            return changed
        }
    }
}
