import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardServer
import KeywardTesting
import Testing

/// The detectors end to end over real HTTP on loopback, on a manual clock, with bounded load.
@Suite("Detection at the verify point")
struct DetectionRoutesTests {
    func verify(_ s: TestServer, _ key: String, ip: String, ua: String = "billing-worker/3.1") async throws -> [String: Any] {
        let body = TestServer.json(VerifyRequest(key: key, source: VerifySourceDTO(ip: ip, userAgent: ua)))
        return try await s.request("POST", "/v1/keys/verify", body: body).json()
    }

    @Test("an enumeration run from one source is blocked at once, while the victim's own calls keep succeeding; an admin releases it")
    func enumerationBlocked() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            #expect(try await verify(s, key, ip: "10.0.0.5")["valid"] as? Bool == true)
            let attacker = "198.51.100.7"
            for i in 0..<20 {
                let r = try await verify(s, "kw_live_guess\(i)x\(String(repeating: "A", count: 30))", ip: attacker)
                #expect(r["valid"] as? Bool == false)
                clock.advance(by: 1)
            }
            // Blocked on this node the moment the twentieth distinct guess was answered: even a good key is refused from there.
            #expect(try await verify(s, key, ip: attacker)["reason"] as? String == "source_blocked")
            #expect(try await verify(s, key, ip: "10.0.0.5")["valid"] as? Bool == true)

            // The recorder's own task may have written it already; this returns once it is written.
            await s.runtime.recordDetections()
            let list = try await s.request("GET", "/v1/detections?detector=enumeration").decode(ListResponse<DetectionResponse>.self)
            let d = try #require(list.items.first)
            #expect(list.items.count == 1 && d.action == "block" && d.source == attacker && d.status == "open")
            #expect(d.evidence.count == 20 && d.blockedUntil != nil && d.keyId == nil)
            #expect(try await s.request("GET", "/v1/detections?detector=nope").status == 400)
            let metrics = try await s.anonymous("GET", "/metrics").text
            #expect(metrics.contains(#"keyward_detections_total{detector="enumeration"} 1"#))
            #expect(metrics.contains(#"keyward_detection_tracked{table="blocked"} 1"#))
            #expect(try await s.request("POST", "/v1/detections/\(d.id)/release", body: #"{"reason":"pen test"}"#, token: .some(key)).status / 100 == 4)

            let released = try await s.request("POST", "/v1/detections/\(d.id)/release", body: #"{"reason":"our own pen test"}"#)
            #expect(released.status == 200)
            #expect(try released.decode(DetectionResponse.self).status == "released")
            #expect(try await s.request("POST", "/v1/detections/\(d.id)/release", body: #"{"reason":"again"}"#).status == 409)
            #expect(try await verify(s, key, ip: attacker)["valid"] as? Bool == true)
            let actions = try await s.auditRecords().map(\.action)
            #expect(actions.contains("detection.raised") && actions.contains("detection.released"))
            #expect(try await s.auditChainIsValid())
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("a credential in what a caller reported (a browser's user agent) is redacted in the detection, its audit record and its webhook")
    func evidenceRedacted() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            let (_, other) = try await s.issueKey(identity: idn)
            let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 token=\(other)"
            #expect(try await verify(s, key, ip: "10.0.0.9", ua: ua)["valid"] as? Bool == true)
            await s.runtime.recordDetections()
            let d = try #require(try await s.request("GET", "/v1/detections?detector=human_use").decode(ListResponse<DetectionResponse>.self).items.first)
            #expect(d.evidence.sources.count == 1 && d.evidence.sources[0].hasPrefix("[redacted: "))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("a scraping climb trips quarantine by policy: an incident with the evidence, the owner notified by a signed webhook, and a release")
    func scrapingQuarantined() async throws {
        try await WebhookReceiver.with { receiver in
            let clock = ManualClock()
            try await TestServer.with(clock: clock, configure: { c in
                try? c.detection.apply("live:volume_climb=quarantine")
                // Smaller than the defaults so the test stays a few thousand calls; the defaults are tested as values.
                c.detection.tuning.warmupMinutes = 30
                c.detection.tuning.climbFloor = 8
            }) { s in
                let hook = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["detection.raised","incident.opened"]}"#,
                                               issuing: true).decode(WebhookResponse.self)
                s.ledger.record(hook.secret ?? "")
                let idn = try await s.createIdentity()
                let (id, key) = try await s.issueKey(identity: idn)
                // Forty minutes of a steady 2 calls a minute: the baseline.
                var valid = 0
                for _ in 0..<40 {
                    for _ in 0..<2 {
                        #expect(try await verify(s, key, ip: "10.0.0.5")["valid"] as? Bool == true)
                        valid += 1
                    }
                    clock.advance(by: 60)
                }
                // Then a scraper's ramp: one more call each minute, until the detector trips.
                var minute = 0
                var reason: String?
                while reason == nil, minute < 40 {
                    minute += 1
                    for _ in 0..<(2 + minute) {
                        let r = try await verify(s, key, ip: "10.0.0.5")
                        if r["valid"] as? Bool == false { reason = r["reason"] as? String; break }
                        valid += 1
                    }
                    clock.advance(by: 60)
                    await s.runtime.recordDetections()
                }
                #expect(reason == "quarantined")
                #expect(minute < 30)
                let d = try #require(try await s.request("GET", "/v1/detections?key_id=\(id)").decode(ListResponse<DetectionResponse>.self).items.first)
                #expect(d.detector == "volume_climb" && d.action == "quarantine" && d.evidence.baseline != nil)
                let incidentID = try #require(d.incidentId)
                let incident = try await s.request("GET", "/v1/incidents/\(incidentID)").decode(IncidentResponse.self)
                #expect(incident.classification == "detected" && incident.status == "contained" && incident.action == "quarantine")
                #expect(incident.timeline.contains { $0.kind == "detected" && $0.detail.contains("quarter-hour average") })
                #expect(incident.timeline.contains { $0.kind == "notified" })
                // The hunt counts every call before the quarantine, also those still in the usage recorder
                // when the incident opened (nothing here flushed usage; the recorder does, after containing).
                #expect(incident.hunt?.outcomes["valid"] == Int64(valid), "\(String(describing: incident.hunt?.outcomes)) against \(valid)")

                await s.drainWebhooks()
                let events = receiver.all.map { r in (try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]) ?? [:] }
                let raised = try #require(events.first { $0["type"] as? String == "detection.raised" })
                let data = try #require(raised["data"] as? [String: String])
                #expect(data["owner"] == "alice@example.com" && data["incident_id"] == incidentID && data["action"] == "quarantine")
                #expect(events.contains { $0["type"] as? String == "incident.opened" })
                #expect(receiver.all.allSatisfy { $0.headers["keyward-signature"]?.hasPrefix("t=") == true })
                let shown = try await s.request("GET", "/v1/identities/\(idn)").decode(IdentityResponse.self)
                #expect(shown.openDetections?.map(\.id) == [d.id])

                #expect(try await s.request("POST", "/v1/detections/\(d.id)/release", body: #"{"reason":"a planned backfill"}"#).status == 200)
                let again = try await verify(s, key, ip: "10.0.0.5")
                #expect(again["valid"] as? Bool == true); if again["valid"] as? Bool != true { Issue.record("verify after release: \(again)") }
                let after = try await s.request("GET", "/v1/incidents/\(incidentID)").decode(IncidentResponse.self)
                #expect(after.timeline.contains { $0.kind == "released" })
                #expect(try await s.auditRecords().contains { $0.action == "key.released" && $0.target == id })
                #expect(try await s.leakReport().isEmpty)
            }
        }
    }
}
