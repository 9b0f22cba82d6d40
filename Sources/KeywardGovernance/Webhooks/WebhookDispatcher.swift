import AsyncHTTPClient
import Crypto
import Foundation
import KeywardCore
import KeywardStore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Sends queued webhook deliveries (an outbox written in the same transaction as the change):
/// signed, retried with exponential backoff, every attempt logged on the delivery.
///
/// Signature (like Stripe's): `Keyward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<body>")>`, plus `Keyward-Event` and `Keyward-Delivery` headers. A receiver recomputes
/// the HMAC over the raw body and rejects timestamps older than a few minutes (replay).
/// Attempts: immediately, then 1 s, 2 s, 4 s … capped at 5 minutes between tries; after
/// `maxAttempts` the delivery is marked failed. A 2xx answer is success; anything else,
/// including a timeout, is retried.
///
/// The dispatcher also announces keys about to expire (`key.expiring`, once per key version).
package final class WebhookDispatcher: Service, Sendable {
    private let store: Store
    private let fingerprints: FingerprintKey
    private let logger: Logger
    private let maxAttempts: Int
    private let baseDelay: Duration
    private let expiringWindow: TimeInterval
    private let wake: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    private let client: HTTPClient
    /// One delivery pass at a time: the timer's and any caller's of `drain`.
    private let gate = SerialGate()

    package init(store: Store, fingerprints: FingerprintKey, logger: Logger, maxAttempts: Int = 8, baseDelay: Duration = .seconds(1),
                 expiringWindow: TimeInterval = 7 * 86_400) {
        self.store = store
        self.fingerprints = fingerprints
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.expiringWindow = expiringWindow
        self.wake = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(3), read: .seconds(10))
        config.redirectConfiguration = .disallow
        // A refused connection fails the attempt at once; the backoff above does the retrying.
        config.connectionPool.retryConnectionEstablishment = false
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let cont = wake.continuation
        store.feed.subscribe { change in
            if case .webhookQueued = change { cont.yield() }
        }
    }

    package func run() async throws {
        // Checks for due deliveries when woken by a commit, and at least every second (retries,
        // other nodes' deliveries, expiry announcements). On graceful shutdown everything in
        // flight is cancelled at once: an unfinished delivery stays pending and is sent after
        // the restart (receivers must tolerate a repeat; `Keyward-Delivery` names it).
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        self.wake.continuation.yield()
                    }
                }
                group.addTask {
                    var lastExpiryCheck = ContinuousClock.now - .seconds(3600)
                    for await _ in self.wake.stream {
                        if Task.isCancelled { break }
                        if ContinuousClock.now - lastExpiryCheck > .seconds(60) {
                            lastExpiryCheck = ContinuousClock.now
                            await self.announceExpiring()
                        }
                        await self.drain()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        await shutdown()
    }

    /// Closes the HTTP client; `run` does it when it ends. For a dispatcher that was never run
    /// (one a test drains by hand). Calling it twice is harmless.
    package func shutdown() async {
        try? await client.shutdown()
    }

    /// Sends every delivery due by `now` (default: the store's clock) once — in order for each
    /// receiver, receivers in parallel, so a slow or dead receiver delays only its own
    /// deliveries — and returns each attempt's outcome. The timer calls it; a test or the
    /// runtime may call and await it (one pass at a time). A failed attempt's retry is due at
    /// `now` plus the backoff, so a caller with a manual clock makes it due by moving the clock.
    @discardableResult
    package func drain(now: Date? = nil) async -> DrainReport {
        await gate.run { await self.deliverDue(now: now ?? self.store.clock.now()) }
    }

    private func deliverDue(now: Date) async -> DrainReport {
        let due: [WebhookID: (WebhookRecord, [WebhookDelivery])]
        do {
            // A read first: most wake-ups find nothing due, and claiming takes a write transaction.
            guard let next = try await store.nextDeliveryDue(), next <= now else { return DrainReport() }
            let hooks = Dictionary(uniqueKeysWithValues: try await store.webhooks().map { ($0.id, $0) })
            var grouped: [WebhookID: (WebhookRecord, [WebhookDelivery])] = [:]
            // Leased for longer than the slowest attempt (3 s connect + 10 s read).
            for d in try await store.claimDueDeliveries(now: now, lease: .seconds(60), limit: 500) {
                guard let hook = hooks[d.webhookID] else { continue }
                grouped[d.webhookID, default: (hook, [])].1.append(d)
            }
            due = grouped
        } catch {
            logger.warning("webhook dispatch failed", metadata: ["error": "\(String(describing: error).prefix(200))"])
            return DrainReport()
        }
        return await withTaskGroup(of: [WebhookDelivery].self) { group in
            for (hook, deliveries) in due.values {
                group.addTask {
                    var done: [WebhookDelivery] = []
                    for var d in deliveries {
                        await self.attempt(&d, hook: hook, now: now)
                        if Task.isCancelled { return done } // shutting down: this attempt does not count
                        do { try await self.store.recordDeliveryAttempt(d) } catch {
                            self.logger.warning("webhook delivery state not saved", metadata: ["delivery": "\(d.id)"])
                        }
                        done.append(d)
                    }
                    return done
                }
            }
            var report = DrainReport()
            for await attempts in group { report.attempts += attempts }
            return report
        }
    }

    private func attempt(_ d: inout WebhookDelivery, hook: WebhookRecord, now: Date) async {
        d.attempts += 1
        let secret: String, url: String
        do {
            secret = try fingerprints.open(hook.secretSealed, purpose: Governance.webhookSealPurpose, owner: hook.id.description)
            url = try fingerprints.open(hook.urlSealed, purpose: Governance.webhookURLSealPurpose, owner: hook.id.description)
        } catch {
            // Nothing is sent: a value sealed for another row (or under another HMAC key) is not this webhook's.
            logger.error("a webhook's sealed secret or URL does not open for its row; delivery not sent", metadata: ["webhook": "\(hook.id)"])
            d.lastStatus = nil
            d.lastError = "sealed secret or URL does not open for this webhook"
            d.status = "failed"
            return
        }
        do {
            let t = Int64(now.timeIntervalSince1970)
            var req = HTTPClientRequest(url: url)
            req.method = .POST
            req.headers.add(name: "Content-Type", value: "application/json")
            req.headers.add(name: "User-Agent", value: "keyward-webhooks")
            req.headers.add(name: "Keyward-Event", value: d.event)
            req.headers.add(name: "Keyward-Delivery", value: d.id)
            req.headers.add(name: "Keyward-Signature", value: "t=\(t),v1=\(Self.signature(secret: secret, timestamp: t, body: d.payload))")
            req.body = .bytes(ByteBuffer(string: d.payload))
            let resp = try await client.execute(req, timeout: .seconds(10))
            _ = try? await resp.body.collect(upTo: 64 * 1024)
            d.lastStatus = Int(resp.status.code)
            if (200..<300).contains(resp.status.code) {
                d.status = "delivered"
                d.deliveredAt = max(now, store.clock.now())
                d.lastError = nil
                return
            }
            d.lastError = "HTTP \(resp.status.code)"
        } catch {
            d.lastStatus = nil
            d.lastError = Self.describe(error)
        }
        if d.attempts >= maxAttempts {
            d.status = "failed"
            logger.warning("webhook delivery gave up", metadata: ["delivery": "\(d.id)", "event": "\(d.event)", "attempts": "\(d.attempts)"])
        } else {
            let delay = min(baseDelay * (1 << min(d.attempts - 1, 20)), .seconds(300))
            let ms = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            d.nextAttemptAt = now.addingTimeInterval(Double(ms) / 1000)
        }
    }

    /// `hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`
    package static func signature(secret: String, timestamp: Int64, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Hex.encode(Array(mac))
    }

    static func describe(_ error: any Error) -> String {
        let s = String(describing: error)
        if s.contains("connectionRefused") || s.contains("Connection refused") { return "connection refused" }
        if s.contains("deadlineExceeded") || s.contains("Timeout") || s.contains("timeout") { return "timed out" }
        return "request failed"
    }

    /// Queues `key.expiring` for current versions expiring within the window, once each.
    package func announceExpiring() async {
        do {
            let now = store.clock.now()
            let due = try await store.keysExpiringUnannounced(before: now.addingTimeInterval(expiringWindow), now: now, limit: 500)
            guard !due.isEmpty else { return }
            try await store.write { tx in
                for (id, version, expiresAt) in due {
                    try await self.store.markExpiryAnnounced(id, version: version, in: tx)
                    try await self.store.emitWebhook(
                        .keyExpiring, ["key_id": id.description, "version": String(version), "expires_at": String(expiresAt.unixMillis)], in: tx)
                }
            }
        } catch {
            logger.warning("expiry announcements failed", metadata: ["error": "\(String(describing: error).prefix(200))"])
        }
    }
}
