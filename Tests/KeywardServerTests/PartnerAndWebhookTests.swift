import Crypto
import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardServer
import KeywardStore
import KeywardTesting
import Logging
import Testing

/// GitHub's secret-scanning partner format (case 59, 60 of docs/security-cases.md) and signed outgoing webhooks
/// delivered to a real HTTP receiver on loopback.
@Suite("partner reports and webhooks", .serialized)
struct PartnerAndWebhookTests {
    /// A GitHub-style signing key: the public half in GitHub's published JSON format.
    struct PartnerKey {
        let id = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"
        let key = P256.Signing.PrivateKey()
        func write(to dir: TempDirectory) throws -> String {
            let json: [String: Any] = ["public_keys": [["key_identifier": id, "key": key.publicKey.pemRepresentation, "is_current": true]]]
            let path = dir.file("github-keys.json")
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
            return path
        }
        func sign(_ body: String) throws -> String {
            try key.signature(for: Array(body.utf8)).derRepresentation.base64EncodedString()
        }
    }

    static func post(_ s: TestServer, _ body: String, keyID: String?, signature: String?) async throws -> TestServer.Reply {
        var headers: [(String, String)] = []
        if let keyID { headers.append(("Github-Public-Key-Identifier", keyID)) }
        if let signature { headers.append(("Github-Public-Key-Signature", signature)) }
        return try await s.request("POST", "/v1/exposures/github", body: body, token: .none, headers: headers)
    }

    @Test("a signed report revokes a live key within the call and labels it; a replay is a no-op; bad signatures are refused and audited")
    func githubPartner() async throws {
        let dir = try TempDirectory("keyward-gh")
        defer { dir.remove() }
        let partner = PartnerKey()
        let keysFile = try partner.write(to: dir)
        try await TestServer.with(configure: { $0.githubKeysFile = keysFile }) { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn)
            let body = #"[{"token":"\#(key)","type":"keyward_api_key","url":"https://github.com/octo/repo/blob/abc/config.env","source":"content"},{"token":"not-a-known-token-0000","type":"keyward_api_key","url":"https://gist.github.com/x","source":"gist"}]"#

            // Refused: unsigned, unknown key id, signature over another body, garbage signature.
            let other = try partner.sign(body + " ")
            for (kid, sig) in [(nil, nil), ("unknown-key", try partner.sign(body)), (partner.id, other), (partner.id, "bm90IGEgc2lnbmF0dXJl")] as [(String?, String?)] {
                let r = try await Self.post(s, body, keyID: kid, signature: sig)
                #expect(r.status == 401)
                #expect(!r.text.contains(key))
            }
            #expect(try await s.verify(key)["valid"] as? Bool == true, "nothing is revoked by an unauthenticated report")
            let rejected = try await s.auditRecords().filter { $0.action == "exposure.rejected" }.count
            #expect(rejected == 4)

            let ok = try await Self.post(s, body, keyID: partner.id, signature: try partner.sign(body))
            #expect(ok.status == 200)
            let labels = try ok.decode([GitHubTokenLabel].self)
            #expect(labels.map(\.label) == ["true_positive", "false_positive"])
            #expect(labels[0].tokenHash == SecretDigest(hashing: key.utf8).hex)
            #expect(!ok.text.contains(key))
            #expect(try await s.verify(key)["reason"] as? String == "revoked")

            // Delivered twice: still one incident, one revocation.
            #expect(try await Self.post(s, body, keyID: partner.id, signature: try partner.sign(body)).status == 200)
            let incidents = try await s.request("GET", "/v1/incidents?target_id=\(id)").decode(ListResponse<IncidentResponse>.self)
            #expect(incidents.items.count == 1)
            #expect(incidents.items.first?.source == "partner")
            let revoked = try await s.auditRecords().filter { $0.action == "key.revoked" }.count
            #expect(revoked == 1)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("without configured partner keys every partner report is refused")
    func githubUnconfigured() async throws {
        try await TestServer.with { s in
            let r = try await Self.post(s, #"[{"token":"kw_live_x","type":"t"}]"#, keyID: "k", signature: "c2ln")
            #expect(r.status == 401)
        }
    }

    @Test("webhooks: signed, retried with backoff after failures, logged; incident, revoke and rotate events arrive")
    func webhooks() async throws {
        try await WebhookReceiver.with(failFirst: 2) { receiver in
            // A manual clock: a retry becomes due when the test moves it, and a drain sends it.
            let clock = ManualClock()
            try await TestServer.with(clock: clock) { s in
                let created = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["*"]}"#, issuing: true)
                #expect(created.status == 201)
                let hook = try created.decode(WebhookResponse.self)
                let secret = try #require(hook.secret)
                s.ledger.record(secret)
                #expect(try await s.request("GET", "/v1/webhooks").text.contains(secret) == false)
                #expect(try await s.request("POST", "/v1/webhooks", body: #"{"url":"ftp://x","events":["*"]}"#).status == 422)
                #expect(try await s.request("POST", "/v1/webhooks", body: #"{"url":"http://x","events":["key.deleted"]}"#).status == 422)

                let idn = try await s.createIdentity()
                let (id, key) = try await s.issueKey(identity: idn)
                let rot = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":0}"#, issuing: true)
                s.ledger.record(try #require(rot.json()["key"] as? String))
                let body = "{\"source\":\"scanner\",\"items\":[{\"rule_id\":\"keyward.api-key\",\"sha256\":\"\(SecretDigest(hashing: (rot.json()["key"] as! String).utf8).hex)\",\"path\":\"a.env\"}]}"
                #expect(try await s.request("POST", "/v1/exposures", body: body).status == 202)

                // Four events; the receiver fails the first two requests. Every event has been tried
                // once after the first drain (the server's own timer may have sent some already; the
                // drain waits for its pass). The backoff is 1 s, then 2 s: after the clock has moved
                // by both, two more drains have retried whatever failed.
                await s.drainWebhooks()
                clock.advance(by: 1)
                await s.drainWebhooks()
                clock.advance(by: 2)
                await s.drainWebhooks()
                let wanted: Set = ["key.rotated", "incident.opened", "incident.contained", "key.revoked"]
                #expect(Set(receiver.all.compactMap { $0.headers["keyward-event"] }) == wanted)
                #expect(receiver.all.count == 6, "four events, two of them sent twice")
                // Every request is signed over its raw body with the webhook's secret.
                for r in receiver.all {
                    let header = try #require(r.headers["keyward-signature"])
                    let parts = Dictionary(uniqueKeysWithValues: header.split(separator: ",").map { p in
                        let kv = p.split(separator: "=", maxSplits: 1); return (String(kv[0]), String(kv[1]))
                    })
                    let t = try #require(Int64(parts["t"] ?? ""))
                    #expect(parts["v1"] == WebhookDispatcher.signature(secret: secret, timestamp: t, body: r.body))
                    #expect(!r.body.contains(key))
                }
                // The failed attempts were retried, and the delivery log shows it.
                let d = try await s.request("GET", "/v1/webhooks/\(hook.id)/deliveries").decode(ListResponse<WebhookDeliveryResponse>.self)
                #expect(d.items.count == 4 && d.items.allSatisfy { $0.status == "delivered" })
                #expect(d.items.map(\.attempts).reduce(0, +) == 6)
                let opened = try #require(receiver.all.first { $0.headers["keyward-event"] == "incident.opened" })
                let event = try WireCoding.decoder().decode(WebhookEvent.self, from: Data(opened.body.utf8))
                #expect(event.data["owner"] == "alice@example.com")
                #expect(event.data["action"] == "revoke")
                let leaks = try await s.leakReport()
                #expect(leaks.isEmpty, "\(leaks)")
            }
        }
    }

    @Test("a receiver that never answers 2xx: the delivery gives up after the configured attempts")
    func webhookGivesUp() async throws {
        try await WebhookReceiver.with(failFirst: 1_000) { receiver in
            let clock = ManualClock()
            try await TestServer.with(clock: clock, configure: { $0.webhookMaxAttempts = 3 }) { s in
                let hook = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["key.revoked"]}"#).decode(WebhookResponse.self)
                s.ledger.record(hook.secret ?? "")
                let idn = try await s.createIdentity()
                let (id, _) = try await s.issueKey(identity: idn)
                #expect(try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"test"}"#).status == 200)
                // Attempts at 0 s, 1 s and 3 s on the server's (manual) clock; then nothing more.
                for step in [1.0, 2.0, 3_600.0] {
                    await s.drainWebhooks()
                    clock.advance(by: step)
                }
                #expect(await s.drainWebhooks().attempts.isEmpty)
                let d = try await s.request("GET", "/v1/webhooks/\(hook.id)/deliveries").decode(ListResponse<WebhookDeliveryResponse>.self)
                #expect(d.items.first?.status == "failed")
                #expect(receiver.all.count == 3)
            }
        }
    }

    @Test("key.expiring is announced once per key version that expires within the window")
    func expiringAnnounced() async throws {
        try await WebhookReceiver.with { receiver in
            try await TestServer.with { s in
                let hook = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["key.expiring"]}"#, issuing: true)
                #expect(hook.status == 201)
                let idn = try await s.createIdentity()
                let (soon, _) = try await s.issueKey(identity: idn, ttl: 3_600)
                _ = try await s.issueKey(identity: idn, ttl: 20 * 86_400)
                await s.runtime.webhooks.announceExpiring()
                await s.runtime.webhooks.announceExpiring()
                await s.drainWebhooks()
                #expect(receiver.all.count == 1)
                // Another announcement and a delivery pass, run to completion, send nothing more.
                await s.runtime.webhooks.announceExpiring()
                #expect(await s.drainWebhooks().attempts.isEmpty)
                #expect(receiver.all.count == 1)
                let event = try WireCoding.decoder().decode(WebhookEvent.self, from: Data(try #require(receiver.all.first).body.utf8))
                #expect(event.type == "key.expiring" && event.data["key_id"] == soon)
            }
        }
    }

    @Test("a silent receiver delays only its own delivery, and shutdown cancels its attempt instead of waiting for it")
    func deadReceiverIsolated() async throws {
        let url = try PostgresServer.instance().createDatabase()
        let silent = try SilentListener()
        defer { silent.close() }
        var hooks: [String: String] = [:]
        try await WebhookReceiver.with { receiver in
            try await TestServer.with(database: url) { s in
                for target in ["http://127.0.0.1:1/dead", silent.url, receiver.url] {
                    let h = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(target)","events":["key.revoked"]}"#, issuing: true)
                    #expect(h.status == 201)
                    hooks[target] = try h.decode(WebhookResponse.self).id
                }
                let idn = try await s.createIdentity()
                let (id, _) = try await s.issueKey(identity: idn)
                #expect(try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"test"}"#).status == 200)
                // No drain here: the server's pass holds the silent receiver's request (up to the 10 s
                // read timeout), and the point is what the live receiver gets meanwhile. A bounded poll:
                // the deliveries travel over sockets to two other servers.
                let arrived = await eventually(timeout: .seconds(30)) { receiver.all.count == 1 && silent.connections() == 1 }
                #expect(arrived != nil, "the live receiver waited behind the silent one")
            }
        }
        // Shutdown cancelled the attempt in flight: it was not counted, and the delivery to the silent
        // receiver is still pending, to be sent after a restart. The refused one was tried and logged.
        let store = try await Store.open(try StoreConfiguration.parse(databaseURL: url), logger: Logger(label: "test"))
        func deliveries(_ target: String) async throws -> [WebhookDelivery] {
            try await store.deliveries(of: try #require(WebhookID(hooks[target] ?? "")), limit: 10)
        }
        let held = try await deliveries(silent.url)
        let refused = try await deliveries("http://127.0.0.1:1/dead")
        await store.close()
        #expect(held.map(\.status) == ["pending"] && held.map(\.attempts) == [0], "\(held.map { ($0.status, $0.attempts, $0.lastError ?? "") })")
        #expect(refused.map(\.attempts) == [1] && refused.first?.lastError == "connection refused")
    }

    @Test("a receiver URL that is itself a credential is sealed: responses show scheme://host/… only, the store never holds it in clear")
    func receiverURLSealed() async throws {
        try await TestServer.with { s in
            var rng = SeededRandom()
            let token = "T0AAA0AAA/B0BBB0BBB/" + String(UInt64.random(in: .min ... .max, using: &rng), radix: 36) + "Zq9"
            s.ledger.record(token)
            let created = try await s.request("POST", "/v1/webhooks", body: #"{"url":"https://hooks.example.com:8443/services/\#(token)","events":["key.expiring"]}"#, issuing: true)
            #expect(created.status == 201)
            let w = try created.decode(WebhookResponse.self)
            s.ledger.record(w.secret ?? "")
            #expect(w.url == "https://hooks.example.com:8443/…")
            let list = try await s.request("GET", "/v1/webhooks").decode(ListResponse<WebhookResponse>.self)
            #expect(list.items.map(\.url) == ["https://hooks.example.com:8443/…"])
            #expect(!created.text.contains(token))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("a flood of forged partner reports is refused every time but audited at most 60 times a minute, with the rest counted")
    func rejectionFlood() async throws {
        let clock = ManualClock()
        // The failure limit would answer 429 after 30 forged reports from this address (RateLimitTests);
        // this is about the audit of every refusal that still gets through, so it is off here.
        try await TestServer.with(clock: clock, configure: { try! $0.rateLimits.apply("failure=off") }) { s in
            for _ in 0..<75 {
                #expect(try await Self.post(s, #"[{"token":"x","type":"t"}]"#, keyID: "forged", signature: "c2ln").status == 401)
            }
            var rejected = try await s.auditRecords().filter { $0.action == "exposure.rejected" }
            #expect(rejected.count == 60)
            // A minute later the next rejection is audited again, carrying the 15 that were only counted.
            clock.advance(by: 61)
            #expect(try await Self.post(s, #"[{"token":"x","type":"t"}]"#, keyID: "forged", signature: "c2ln").status == 401)
            rejected = try await s.auditRecords().filter { $0.action == "exposure.rejected" }
            #expect(rejected.count == 61)
            #expect(rejected.last?.details.contains(#""suppressed_before":"15""#) == true, "\(rejected.last?.details ?? "")")
        }
    }
}
