import Foundation
import KeywardCore
import SQLKit

/// Removing inventory rows an owner no longer needs. The audit log keeps what they were.
extension Store {
    /// Deletes a consumer and what it declared it holds.
    package func deleteConsumer(_ id: ConsumerID, in tx: WriteTransaction) async throws {
        try await tx.db.raw("DELETE FROM consumer_holdings WHERE consumer_id = \(bind: id.description)").run()
        try await tx.db.raw("DELETE FROM consumer_sources WHERE consumer_id = \(bind: id.description)").run()
        try await tx.db.raw("DELETE FROM consumers WHERE id = \(bind: id.description)").run()
    }

    /// Deletes an imported credential and every consumer's claim to hold it. Exposures that
    /// named it stay (they are history); a later leak of the same secret matches nothing.
    package func deleteCredential(_ id: CredentialID, in tx: WriteTransaction) async throws {
        try await tx.db.raw("DELETE FROM consumer_holdings WHERE target_id = \(bind: id.description)").run()
        try await tx.db.raw("DELETE FROM credentials WHERE id = \(bind: id.description)").run()
    }

    /// Deletes a webhook subscription and its delivery log (pending deliveries are dropped).
    /// Returns how many deliveries were still pending.
    package func deleteWebhook(_ id: WebhookID, in tx: WriteTransaction) async throws -> Int {
        let pending = try await tx.db.raw("SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = \(bind: id.description) AND status = 'pending'")
            .first()?.decode(column: "n", as: Int64.self) ?? 0
        try await tx.db.raw("DELETE FROM webhook_deliveries WHERE webhook_id = \(bind: id.description)").run()
        try await tx.db.raw("DELETE FROM webhooks WHERE id = \(bind: id.description)").run()
        return Int(pending)
    }
}
