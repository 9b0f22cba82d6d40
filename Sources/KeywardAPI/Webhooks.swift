import Foundation

// Wire types of webhooks: subscriptions, deliveries, the events they carry.
// Memberwise `package init`s are written out because Swift synthesises them only as internal.

package struct WebhookCreateRequest: Codable, Sendable {
    package var url: String
    /// incident.opened, incident.contained, key.revoked, key.rotated, key.expiring, or `*`.
    package var events: [String]
    package init(url: String, events: [String]) {
        self.url = url
        self.events = events
    }
}

package struct WebhookResponse: Codable, Sendable {
    package var id: String
    package var url: String
    package var events: [String]
    package var status: String
    package var createdAt: Date
    /// The signing secret: only in the response that creates the webhook.
    package var secret: String?
    package init(id: String, url: String, events: [String], status: String, createdAt: Date, secret: String?) {
        self.id = id
        self.url = url
        self.events = events
        self.status = status
        self.createdAt = createdAt
        self.secret = secret
    }
}

package struct WebhookDeliveryResponse: Codable, Sendable {
    package var id: String
    package var event: String
    package var status: String
    package var attempts: Int
    package var lastStatus: Int?
    package var lastError: String?
    package var createdAt: Date
    package var nextAttemptAt: Date?
    package var deliveredAt: Date?
    package init(id: String, event: String, status: String, attempts: Int, lastStatus: Int?, lastError: String?, createdAt: Date,
                 nextAttemptAt: Date?, deliveredAt: Date?) {
        self.id = id
        self.event = event
        self.status = status
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
    }
}

/// The body of every outgoing webhook.
package struct WebhookEvent: Codable, Sendable {
    package var id: String
    package var type: String
    package var createdAt: Date
    package var data: [String: String]
    package init(id: String, type: String, createdAt: Date, data: [String: String]) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.data = data
    }
}
