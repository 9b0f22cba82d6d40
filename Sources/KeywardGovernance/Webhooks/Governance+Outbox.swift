import Foundation
import KeywardCore
import KeywardStore

extension Governance {
    /// Queues a webhook event in `tx` (see `Store.emitWebhook`); returns the receivers queued.
    @discardableResult
    func emit(_ type: WebhookEventType, _ data: [String: String], in tx: WriteTransaction) async throws -> Int {
        try await store.emitWebhook(type, data, in: tx)
    }
}

extension Store {
    /// Queues a webhook event in `tx` for every active receiver that subscribes to it (delivered
    /// after commit by the dispatcher); returns how many were queued.
    @discardableResult
    func emitWebhook(_ type: WebhookEventType, _ data: [String: String], in tx: WriteTransaction) async throws -> Int {
        let event = OutboxEvent(id: "evt_" + String(IncidentID.random().description.dropFirst(4)), type: type.rawValue, createdAt: tx.now, data: data)
        return try await enqueueWebhookEvent(type.rawValue, payload: String(decoding: try StoredJSON.encoder().encode(event), as: UTF8.self), in: tx)
    }
}

/// The body of every outgoing webhook (the wire's `WebhookEvent`).
private struct OutboxEvent: Encodable {
    var id: String
    var type: String
    var createdAt: Date
    var data: [String: String]
}
