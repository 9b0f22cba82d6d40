import Crypto
import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardServer
import KeywardStore
import KeywardTesting
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
            try await TestServer.with(configure: { $0.webhookBaseDelay = .milliseconds(50) }) { s in
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

                let wanted: Set = ["key.rotated", "incident.opened", "incident.contained", "key.revoked"]
                let arrived = await eventually(timeout: .seconds(20)) {
                    Set(receiver.all.compactMap { $0.headers["keyward-event"] }).isSuperset(of: wanted)
                }
                #expect(arrived != nil, "events received: \(receiver.all.compactMap { $0.headers["keyward-event"] })")
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
                // The first two attempts failed (500) and were retried; the log shows it.
                let retried = try await eventually {
                    let d = try await s.request("GET", "/v1/webhooks/\(hook.id)/deliveries").decode(ListResponse<WebhookDeliveryResponse>.self)
                    return d.items.contains { $0.attempts >= 2 && $0.status == "delivered" } && d.items.allSatisfy { $0.status == "delivered" }
                }
                #expect(retried != nil, "no delivery shows a retry followed by success")
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
            try await TestServer.with(configure: { $0.webhookBaseDelay = .milliseconds(20); $0.webhookMaxAttempts = 3 }) { s in
                let hook = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["key.revoked"]}"#).decode(WebhookResponse.self)
                s.ledger.record(hook.secret ?? "")
                let idn = try await s.createIdentity()
                let (id, _) = try await s.issueKey(identity: idn)
                #expect(try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"test"}"#).status == 200)
                let failed = try await eventually(timeout: .seconds(20)) {
                    let d = try await s.request("GET", "/v1/webhooks/\(hook.id)/deliveries").decode(ListResponse<WebhookDeliveryResponse>.self)
                    return d.items.first?.status == "failed"
                }
                #expect(failed != nil)
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
                let arrived = await eventually { receiver.all.count >= 1 }
                #expect(arrived != nil)
                // Another announcement and a delivery pass, run to completion, send nothing more.
                await s.runtime.webhooks.announceExpiring()
                await s.runtime.webhooks.deliverDue()
                #expect(receiver.all.count == 1)
                let event = try WireCoding.decoder().decode(WebhookEvent.self, from: Data(try #require(receiver.all.first).body.utf8))
                #expect(event.type == "key.expiring" && event.data["key_id"] == soon)
            }
        }
    }

    @Test("a dead receiver delays only its own deliveries, and shutdown does not wait for it")
    func deadReceiverIsolated() async throws {
        try await WebhookReceiver.with { receiver in
            let clock = ContinuousClock()
            var stopStarted = clock.now
            try await TestServer.with(configure: { $0.webhookBaseDelay = .seconds(30) }) { s in
                for url in ["http://127.0.0.1:1/dead", "http://192.0.2.1:9/unroutable", receiver.url] {
                    let h = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(url)","events":["key.revoked"]}"#, issuing: true)
                    #expect(h.status == 201)
                }
                let idn = try await s.createIdentity()
                for _ in 0..<3 {
                    let (id, _) = try await s.issueKey(identity: idn)
                    #expect(try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"test"}"#).status == 200)
                }
                let arrived = await eventually(timeout: .seconds(5)) { receiver.all.count == 3 }
                #expect(arrived != nil, "the live receiver waited behind dead ones")
                stopStarted = clock.now
            }
            #expect(clock.now - stopStarted < .seconds(5), "shutdown waited for deliveries to dead receivers")
        }
    }

    @Test("a receiver URL that is itself a credential is sealed: responses show scheme://host/… only, the store never holds it in clear")
    func receiverURLSealed() async throws {
        try await TestServer.with { s in
            let token = "T0AAA0AAA/B0BBB0BBB/" + String(UInt64.random(in: .min ... .max), radix: 36) + "Zq9"
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
        try await TestServer.with(clock: clock) { s in
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
