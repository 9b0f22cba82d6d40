import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import Testing

/// The webhook outbox drained by hand: `WebhookDispatcher.drain(now:)` sends what is due by
/// `now` once and reports it, so a retry becomes due by moving the manual clock, never by waiting.
@Suite("Governance: webhook outbox drain", .serialized)
struct OutboxDrainTests {
    @Test("a delivery is sent once per drain when due: a failed attempt is retried only when the clock reaches its backoff, then delivered, signed", arguments: Backend.allCases)
    func retriedWhenDue(_ backend: Backend) async throws {
        try await WebhookReceiver.with(failFirst: 2) { receiver in
            try await GovernanceHarness.with(backend) { h in
                let (hook, secret) = try await h.governance.createWebhook(NewWebhook(url: receiver.url, events: ["key.revoked"]), actor: GovernanceHarness.admin)
                let idn = try await h.identity()
                let (key, _) = try await h.issue(idn.id)
                _ = try await h.governance.revokeKey(key.id, reason: "test", actor: GovernanceHarness.admin)

                var report = await h.webhooks.drain()
                #expect(report.retrying.count == 1 && report.attempts.count == 1, "first attempt: 500, retried later")
                #expect(report.retrying.first?.nextAttemptAt == h.clock.now.addingTimeInterval(1))
                #expect(await h.webhooks.drain().attempts.isEmpty, "not due again before its backoff")
                h.clock.advance(by: 1)
                report = await h.webhooks.drain()
                #expect(report.retrying.count == 1, "second attempt: 500; the backoff doubles")
                h.clock.advance(by: 1)
                #expect(await h.webhooks.drain().attempts.isEmpty)
                h.clock.advance(by: 1)
                report = await h.webhooks.drain()
                #expect(report.delivered.map(\.event) == ["key.revoked"] && report.delivered.first?.attempts == 3)
                #expect(await h.webhooks.drain().attempts.isEmpty, "a delivered event is not sent again")
                #expect(receiver.all.count == 3)

                let last = try #require(receiver.all.last)
                let t = Int64(h.clock.now.timeIntervalSince1970)
                #expect(last.headers["keyward-signature"] == "t=\(t),v1=\(WebhookDispatcher.signature(secret: secret, timestamp: t, body: last.body))")
                #expect(try await h.queued(hook.id).map(\.status) == ["delivered"])
            }
        }
    }

    @Test("a receiver that never answers 2xx: the delivery is given up after the configured attempts and never sent again", arguments: Backend.allCases)
    func givesUp(_ backend: Backend) async throws {
        try await WebhookReceiver.with(failFirst: 1_000) { receiver in
            try await GovernanceHarness.with(backend, webhookMaxAttempts: 2) { h in
                let (hook, _) = try await h.governance.createWebhook(NewWebhook(url: receiver.url, events: ["*"]), actor: GovernanceHarness.admin)
                let idn = try await h.identity()
                let (key, _) = try await h.issue(idn.id)
                _ = try await h.governance.rotateKey(key.id, graceSeconds: 0, actor: GovernanceHarness.admin)
                #expect(await h.webhooks.drain().retrying.count == 1)
                h.clock.advance(by: 1)
                #expect(await h.webhooks.drain().failed.count == 1)
                h.clock.advance(by: 86_400)
                #expect(await h.webhooks.drain().attempts.isEmpty)
                #expect(receiver.all.count == 2)
                let delivery = try #require(try await h.queued(hook.id).first)
                #expect(delivery.status == "failed" && delivery.lastError == "HTTP 500")
            }
        }
    }
}
