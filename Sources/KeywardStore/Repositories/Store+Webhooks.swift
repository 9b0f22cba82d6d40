import Foundation
import KeywardCore
import SQLKit

/// An outgoing webhook subscription. The signing secret and the receiver URL (which may embed a
/// credential, as Slack's do) are kept sealed (AES-GCM under a key derived from the server's
/// HMAC key); the secret is shown once, by the call that creates it, the URL only as `urlDisplay`.
package struct WebhookRecord: Sendable {
    package var id: WebhookID
    package var urlSealed: String
    /// `scheme://host[:port]/…`: never the path or query.
    package var urlDisplay: String
    package var secretSealed: String
    package var events: [String]
    package var status: String
    package var createdAt: Date
    package init(id: WebhookID, urlSealed: String, urlDisplay: String, secretSealed: String, events: [String], status: String, createdAt: Date) {
        self.id = id
        self.urlSealed = urlSealed
        self.urlDisplay = urlDisplay
        self.secretSealed = secretSealed
        self.events = events
        self.status = status
        self.createdAt = createdAt
    }
}

/// One event for one webhook: written in the same transaction as the change it reports
/// (an outbox), then sent and retried by the dispatcher.
package struct WebhookDelivery: Sendable {
    package var id: String
    package var webhookID: WebhookID
    package var event: String
    package var payload: String
    /// pending, delivered, failed (gave up)
    package var status: String
    package var attempts: Int
    package var nextAttemptAt: Date
    package var lastStatus: Int?
    package var lastError: String?
    package var createdAt: Date
    package var deliveredAt: Date?
}

extension Store {
    static let deliveryColumns = "id, webhook_id, event, payload, status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at"

    package func insertWebhook(_ w: WebhookRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO webhooks (id, url_sealed, url_display, secret_sealed, events, status, created_at) VALUES (\(bind: w.id.description), \(bind: w.urlSealed), \(bind: w.urlDisplay), \(bind: w.secretSealed), \(bind: JSONColumn.encode(w.events)), \(bind: w.status), \(bind: w.createdAt.unixMillis))
            """).run()
    }

    /// Rewrites a webhook's sealed secret and URL (resealed bound to the row).
    package func updateWebhookSeals(_ w: WebhookRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("UPDATE webhooks SET url_sealed = \(bind: w.urlSealed), secret_sealed = \(bind: w.secretSealed) WHERE id = \(bind: w.id.description)").run()
    }

    package func webhooks(in db: any SQLDatabase) async throws -> [WebhookRecord] {
        try await db.raw("SELECT id, url_sealed, url_display, secret_sealed, events, status, created_at FROM webhooks ORDER BY id").all().map { r in
            guard let id = WebhookID(try r.decode(column: "id", as: String.self)) else { throw StoreError.corrupt("webhook row") }
            return WebhookRecord(id: id, urlSealed: try r.decode(column: "url_sealed", as: String.self),
                                 urlDisplay: try r.decode(column: "url_display", as: String.self), secretSealed: try r.decode(column: "secret_sealed", as: String.self),
                                 events: try JSONColumn.decode([String].self, from: try r.decode(column: "events", as: String.self)),
                                 status: try r.decode(column: "status", as: String.self),
                                 createdAt: Date(unixMillis: try r.decode(column: "created_at", as: Int64.self)))
        }
    }

    package func webhooks() async throws -> [WebhookRecord] {
        try await read { try await self.webhooks(in: $0) }
    }

    /// Queues `event` for every active webhook subscribed to it (or to `*`), in `tx`.
    /// Returns how many deliveries were queued.
    @discardableResult
    package func enqueueWebhookEvent(_ event: String, payload: String, in tx: WriteTransaction) async throws -> Int {
        var n = 0
        for w in try await webhooks(in: tx.db) where w.status == "active" && (w.events.contains(event) || w.events.contains("*")) {
            let id = "dlv_" + SecretDigest(hashing: Array("\(w.id)|\(event)|\(payload)|\(UInt64.random(in: .min ... .max))".utf8)).hex.prefix(32)
            try await tx.db.raw("""
                INSERT INTO webhook_deliveries (\(unsafeRaw: Store.deliveryColumns)) VALUES (\(bind: String(id)), \(bind: w.id.description), \(bind: event), \(bind: payload), 'pending', 0, \(bind: tx.now.unixMillis), NULL, NULL, \(bind: tx.now.unixMillis), NULL)
                """).run()
            n += 1
        }
        if n > 0 { tx.changed(.webhookQueued) }
        return n
    }

    /// Claims pending deliveries whose next attempt is due, oldest first: each is leased (its
    /// next attempt moved `lease` ahead) in a write transaction, so when several nodes share a
    /// database only one of them sends it. The attempt's outcome then sets the real next time.
    package func claimDueDeliveries(now: Date, lease: Duration, limit: Int) async throws -> [WebhookDelivery] {
        try await write { tx in
            let due = try await tx.db.raw("SELECT \(unsafeRaw: Store.deliveryColumns) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= \(bind: now.unixMillis) ORDER BY next_attempt_at, id LIMIT \(unsafeRaw: String(limit))")
                .all().map(Store.decodeDelivery)
            let until = now.unixMillis + lease.components.seconds * 1000
            for d in due {
                try await tx.db.raw("UPDATE webhook_deliveries SET next_attempt_at = \(bind: until) WHERE id = \(bind: d.id)").run()
            }
            return due
        }
    }

    /// The next time any pending delivery is due (nil when none is pending).
    package func nextDeliveryDue() async throws -> Date? {
        try await read { db in
            try await db.raw("SELECT min(next_attempt_at) AS t FROM webhook_deliveries WHERE status = 'pending'").first()?
                .decode(column: "t", as: Int64?.self).map(Date.init(unixMillis:))
        }
    }

    /// Records an attempt's outcome. Delivery state is operational telemetry, not audit.
    package func recordDeliveryAttempt(_ d: WebhookDelivery) async throws {
        try await write { tx in
            try await tx.db.raw("""
                UPDATE webhook_deliveries SET status = \(bind: d.status), attempts = \(bind: Int64(d.attempts)), next_attempt_at = \(bind: d.nextAttemptAt.unixMillis), last_status = \(bind: d.lastStatus.map(Int64.init)), last_error = \(bind: d.lastError), delivered_at = \(bind: d.deliveredAt?.unixMillis) WHERE id = \(bind: d.id)
                """).run()
        }
    }

    /// A webhook's delivery log, newest first.
    package func deliveries(of webhook: WebhookID, limit: Int) async throws -> [WebhookDelivery] {
        try await read { db in
            try await db.raw("SELECT \(unsafeRaw: Store.deliveryColumns) FROM webhook_deliveries WHERE webhook_id = \(bind: webhook.description) ORDER BY created_at DESC, id LIMIT \(unsafeRaw: String(limit))")
                .all().map(Store.decodeDelivery)
        }
    }

    static func decodeDelivery(_ r: any SQLRow) throws -> WebhookDelivery {
        guard let wid = WebhookID(try r.decode(column: "webhook_id", as: String.self)) else { throw StoreError.corrupt("delivery row") }
        return WebhookDelivery(
            id: try r.decode(column: "id", as: String.self), webhookID: wid, event: try r.decode(column: "event", as: String.self),
            payload: try r.decode(column: "payload", as: String.self), status: try r.decode(column: "status", as: String.self),
            attempts: Int(try r.decode(column: "attempts", as: Int64.self)),
            nextAttemptAt: Date(unixMillis: try r.decode(column: "next_attempt_at", as: Int64.self)),
            lastStatus: try r.decode(column: "last_status", as: Int64?.self).map(Int.init), lastError: try r.decode(column: "last_error", as: String?.self),
            createdAt: Date(unixMillis: try r.decode(column: "created_at", as: Int64.self)),
            deliveredAt: try r.decode(column: "delivered_at", as: Int64?.self).map(Date.init(unixMillis:)))
    }

    // MARK: expiry notices

    /// Current versions of active keys expiring before `before` that have not been announced.
    package func keysExpiringUnannounced(before: Date, now: Date, limit: Int) async throws -> [(KeyID, Int, Date)] {
        try await read { db in
            try await db.raw("""
                SELECT v.key_id, v.version, v.expires_at FROM api_key_versions v JOIN api_keys k ON k.id = v.key_id AND k.current_version = v.version
                WHERE k.status = 'active' AND v.expires_at IS NOT NULL AND v.expires_at > \(bind: now.unixMillis) AND v.expires_at <= \(bind: before.unixMillis)
                AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.key_id = v.key_id AND n.version = v.version)
                ORDER BY v.expires_at LIMIT \(unsafeRaw: String(limit))
                """).all().compactMap { r in
                guard let id = KeyID(try r.decode(column: "key_id", as: String.self)) else { return nil }
                return (id, Int(try r.decode(column: "version", as: Int64.self)), Date(unixMillis: try r.decode(column: "expires_at", as: Int64.self)))
            }
        }
    }

    package func markExpiryAnnounced(_ id: KeyID, version: Int, in tx: WriteTransaction) async throws {
        try await tx.db.raw("INSERT INTO expiry_notices (key_id, version, sent_at) VALUES (\(bind: id.description), \(bind: Int64(version)), \(bind: tx.now.unixMillis))").run()
    }
}
