import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

// Webhooks: wire ↔ domain.

extension WebhookResponse {
    init(_ w: WebhookRecord, secret: String?) {
        self.init(id: w.id.description, url: w.urlDisplay, events: w.events, status: w.status, createdAt: w.createdAt, secret: secret)
    }
}

extension WebhookDeliveryResponse {
    init(_ d: WebhookDelivery) {
        self.init(id: d.id, event: d.event, status: d.status, attempts: d.attempts, lastStatus: d.lastStatus, lastError: d.lastError,
                  createdAt: d.createdAt, nextAttemptAt: d.status == "pending" ? d.nextAttemptAt : nil, deliveredAt: d.deliveredAt)
    }
}

extension NewWebhook {
    init(_ body: WebhookCreateRequest) {
        self.init(url: body.url, events: body.events)
    }
}
