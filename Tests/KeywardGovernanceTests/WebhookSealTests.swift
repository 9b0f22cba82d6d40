import Crypto
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import SQLKit
import Testing

/// Case 72 of docs/security-cases.md: a webhook's signing secret and URL are sealed bound to
/// their row, so someone who can write the store but not read the HMAC key cannot move one
/// webhook's secret or URL to another; rows sealed before 0.12 are resealed bound at start.
@Suite("Governance: webhook seals bound to their row", .serialized)
struct WebhookSealTests {
    static func revokeOne(_ h: GovernanceHarness) async throws {
        let idn = try await h.identity()
        let (key, _) = try await h.issue(idn.id)
        _ = try await h.governance.revokeKey(key.id, reason: "seal test", actor: GovernanceHarness.admin)
    }

    @Test("a sealed secret copied into another webhook's row does not open there: that delivery fails unsent, the other is signed with its own secret",
          arguments: Backend.allCases)
    func copiedSealRefused(_ backend: Backend) async throws {
        try await WebhookReceiver.with { receiver in
            try await GovernanceHarness.with(backend) { h in
                let (a, secretA) = try await h.governance.createWebhook(NewWebhook(url: receiver.url, events: ["key.revoked"]), actor: GovernanceHarness.admin)
                let (b, _) = try await h.governance.createWebhook(NewWebhook(url: receiver.url, events: ["key.revoked"]), actor: GovernanceHarness.admin)
                try await h.store.write { tx in
                    try await tx.db.raw("UPDATE webhooks SET secret_sealed = \(bind: a.secretSealed) WHERE id = \(bind: b.id.description)").run()
                }
                try await Self.revokeOne(h)
                let report = await h.webhooks.drain()
                #expect(report.delivered.map(\.webhookID) == [a.id])
                #expect(report.failed.map(\.webhookID) == [b.id])
                #expect(receiver.all.count == 1)
                let got = try #require(receiver.all.first)
                let t = Int64(h.clock.now.timeIntervalSince1970)
                #expect(got.headers["keyward-signature"] == "t=\(t),v1=\(WebhookDispatcher.signature(secret: secretA, timestamp: t, body: got.body))")
                let failed = try #require(try await h.queued(b.id).first)
                #expect(failed.status == "failed" && failed.lastError == "sealed secret or URL does not open for this webhook")
                #expect(!h.logs.all.joined(separator: "\n").contains(secretA))
            }
        }
    }

    @Test("a row sealed the 0.11 way (no owner) is resealed bound at start, then delivers signed with the same secret", arguments: Backend.allCases)
    func unboundRowResealed(_ backend: Backend) async throws {
        let hmac = FingerprintKey.generate()
        // What 0.11 wrote: AES-GCM under HKDF(HMAC key, "keyward/<purpose>"), no associated data.
        func sealedTheOldWay(_ value: String, purpose: String) throws -> String {
            let k = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: hmac), info: Array("keyward/\(purpose)".utf8), outputByteCount: 32)
            return try #require(try AES.GCM.seal(Array(value.utf8), using: k).combined).base64EncodedString()
        }
        try await WebhookReceiver.with { receiver in
            try await GovernanceHarness.with(backend, hmacKey: hmac) { h in
                let (hook, secret) = try await h.governance.createWebhook(NewWebhook(url: receiver.url, events: ["key.revoked"]), actor: GovernanceHarness.admin)
                let oldSecret = try sealedTheOldWay(secret, purpose: "webhook-secret"), oldURL = try sealedTheOldWay(receiver.url, purpose: "webhook-url")
                try await h.store.write { tx in
                    try await tx.db.raw("UPDATE webhooks SET secret_sealed = \(bind: oldSecret), url_sealed = \(bind: oldURL) WHERE id = \(bind: hook.id.description)").run()
                }
                #expect(try await h.governance.resealUnboundWebhooks() == 1)
                #expect(try await h.governance.resealUnboundWebhooks() == 0, "a bound row is left as it is")
                let row = try #require(try await h.store.webhooks().first { $0.id == hook.id })
                #expect(!FingerprintKey.isUnbound(row.secretSealed) && !FingerprintKey.isUnbound(row.urlSealed))
                try await Self.revokeOne(h)
                #expect(await h.webhooks.drain().delivered.map(\.webhookID) == [hook.id])
                let got = try #require(receiver.all.first)
                let t = Int64(h.clock.now.timeIntervalSince1970)
                #expect(got.headers["keyward-signature"] == "t=\(t),v1=\(WebhookDispatcher.signature(secret: secret, timestamp: t, body: got.body))")
            }
        }
    }
}
