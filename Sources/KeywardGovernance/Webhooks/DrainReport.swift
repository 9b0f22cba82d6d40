import KeywardStore

/// What one `WebhookDispatcher.drain` did: every attempt it made, as recorded after it.
package struct DrainReport: Sendable {
    package var attempts: [WebhookDelivery] = []

    package init() {}

    /// Answered 2xx.
    package var delivered: [WebhookDelivery] { attempts.filter { $0.status == "delivered" } }
    /// Failed this time; due again at `nextAttemptAt`.
    package var retrying: [WebhookDelivery] { attempts.filter { $0.status == "pending" } }
    /// Failed for the last allowed time: given up.
    package var failed: [WebhookDelivery] { attempts.filter { $0.status == "failed" } }
}
