import Foundation
import KeywardAPI
import KeywardCore
import KeywardServer
import KeywardTesting
import Testing

/// Issue 15: a rotation closes early once its consumers switch and stays open while one lags —
/// over real HTTP on loopback, with a manual clock. Verifies name their source as a resource
/// server reports it; the test flushes usage and ticks the watcher itself (its timer is set
/// to an hour so it never runs on its own here), then reads `GET /v1/keys/{id}/rotation`.
@Suite("rotation routes", .serialized)
struct RotationRoutesTests {
    static func verify(_ s: TestServer, _ key: String, ip: String, ua: String) async throws -> [String: Any] {
        let r = try await s.request("POST", "/v1/keys/verify", body: #"{"key":"\#(key)","source":{"ip":"\#(ip)","user_agent":"\#(ua)"}}"#)
        #expect(r.status == 200)
        return r.json()
    }

    static func consumer(_ r: KeyRotationResponse, _ name: String) -> RotationConsumerResponse? { r.consumers.first { $0.name == name } }

    @Test("rotate, verify old and new versions from two declared sources, flush, tick: open while one lags, closed as migrated once both switched; verify then answers rotated")
    func closesOnceConsumersSwitch() async throws {
        try await WebhookReceiver.with { receiver in
            let clock = ManualClock()
            try await TestServer.with(clock: clock, configure: { $0.rotationWatchInterval = .seconds(3_600) }) { s in
                let hook = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["key.rotation_closed","key.rotation_lagging"]}"#, issuing: true)
                #expect(hook.status == 201)
                let idn = try await s.createIdentity()
                let (id, v1) = try await s.issueKey(identity: idn)
                // checkout is recognised by its address from creation; ledger by its user agent, set afterwards with PATCH.
                let checkout = try await s.request("POST", "/v1/consumers", body: #"{"name":"checkout","kind":"deployment","environment":"production","holds":["\#(id)"],"sources":[{"ip":"10.0.0.5"}]}"#)
                #expect(checkout.status == 201)
                #expect(try checkout.decode(ConsumerResponse.self).sources == [ConsumerSourceBody(ip: "10.0.0.5")])
                let ledger = try await s.request("POST", "/v1/consumers", body: #"{"name":"ledger","kind":"deployment","environment":"production","holds":["\#(id)"]}"#)
                let ledgerID = try ledger.decode(ConsumerResponse.self).id
                let patched = try await s.request("PATCH", "/v1/consumers/\(ledgerID)", body: #"{"sources":[{"user_agent":"ledger/3.1"}]}"#)
                #expect(try patched.status == 200 && (patched.decode(ConsumerResponse.self).sources?.first?.userAgent) == "ledger/3.1")
                #expect(try await s.request("GET", "/v1/keys/\(id)/rotation").status == 404, "never rotated")

                clock.advance(by: 1)
                let rotated = try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":7200,"quiet_period_seconds":600}"#, issuing: true)
                #expect(rotated.status == 200)
                let v2 = try #require(rotated.json()["key"] as? String)
                s.ledger.record(v2)

                // checkout moves to v2 at once; ledger keeps presenting v1.
                clock.advance(by: 30)
                #expect(try await Self.verify(s, v2, ip: "10.0.0.5", ua: "checkout/7")["valid"] as? Bool == true)
                #expect(try await Self.verify(s, v1, ip: "10.0.0.6", ua: "ledger/3.1")["version"] as? Int == 1)
                await s.flushUsage()
                #expect(try await s.runtime.tickRotations().isEmpty)
                var view = try await s.request("GET", "/v1/keys/\(id)/rotation").decode(KeyRotationResponse.self)
                #expect(view.state == "open" && view.fromVersion == 1 && view.toVersion == 2 && view.quietPeriodSeconds == 600)
                #expect(Self.consumer(view, "checkout")?.status == "migrated" && Self.consumer(view, "ledger")?.status == "lagging")
                #expect(Self.consumer(view, "ledger")?.kind == "declared" && Self.consumer(view, "ledger")?.oldUses == 1)
                #expect(view.closesIfQuietAt == nil)

                // Twenty minutes on ledger still uses v1: open, v1 still valid.
                clock.advance(by: 1_200)
                #expect(try await Self.verify(s, v1, ip: "10.0.0.6", ua: "ledger/3.1")["valid"] as? Bool == true)
                #expect(try await s.runtime.tickRotations().isEmpty)
                view = try await s.request("GET", "/v1/keys/\(id)/rotation").decode(KeyRotationResponse.self)
                #expect(view.state == "open" && Self.consumer(view, "ledger")?.status == "lagging")

                // ledger switches; a quiet period after its last v1 use the watcher closes the window.
                #expect(try await Self.verify(s, v2, ip: "10.0.0.6", ua: "ledger/3.1")["valid"] as? Bool == true)
                clock.advance(by: 599)
                #expect(try await s.runtime.tickRotations().isEmpty)
                view = try await s.request("GET", "/v1/keys/\(id)/rotation").decode(KeyRotationResponse.self)
                #expect(view.closesIfQuietAt == clock.now.addingTimeInterval(1))
                clock.advance(by: 1)
                #expect(try await s.runtime.tickRotations().count == 1)
                view = try await s.request("GET", "/v1/keys/\(id)/rotation").decode(KeyRotationResponse.self)
                #expect(view.state == "closed" && view.closeReason == "migrated" && view.graceUntil == clock.now)
                #expect(view.consumers.allSatisfy { $0.status == "migrated" })
                let after = try await s.verify(v1)
                #expect(after["valid"] as? Bool == false && after["reason"] as? String == "rotated")
                #expect(try await s.verify(v2)["valid"] as? Bool == true)

                // One delivery pass at a time: this one waits for the dispatcher's own, if it started first.
                await s.drainWebhooks()
                let events = try receiver.all.map { try WireCoding.decoder().decode(WebhookEvent.self, from: Data($0.body.utf8)) }
                #expect(events.map(\.type) == ["key.rotation_closed"])
                #expect(events.first?.data["reason"] == "migrated" && events.first?.data["key_id"] == id && events.first?.data["version"] == "1")
                #expect(try await s.auditChainIsValid())
                #expect(try await s.leakReport().isEmpty)
            }
        }
    }

    @Test("the CLI's neighbours' contract: bad input is a 4xx problem, never a 5xx")
    func badInput() async throws {
        try await TestServer.with(configure: { $0.rotationWatchInterval = .seconds(3_600) }) { s in
            let idn = try await s.createIdentity()
            let (id, _) = try await s.issueKey(identity: idn)
            let c = try await s.request("POST", "/v1/consumers", body: #"{"name":"a","kind":"agent","environment":"prod","holds":["\#(id)"]}"#)
            let cid = try c.decode(ConsumerResponse.self).id
            for body in [#"{"sources":[{}]}"#, #"{"sources":[{"ip":""}]}"#, #"{}"#, #"{"sources":"10.0.0.1"}"#, #"{"sources":[{"ip":"\#(String(repeating: "1", count: 65))"}]}"#] {
                let r = try await s.request("PATCH", "/v1/consumers/\(cid)", body: body)
                #expect((400..<500).contains(r.status), "\(body): \(r.status)")
            }
            #expect(try await s.request("PATCH", "/v1/consumers/csm_00000000000000000000000000000000", body: #"{"sources":[]}"#).status == 404)
            #expect(try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"quiet_period_seconds":0}"#).status == 422)
            #expect(try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"max_grace_seconds":99999999}"#).status == 422)
            #expect(try await s.request("GET", "/v1/keys/key_00000000000000000000000000000009/rotation").status == 404)
            #expect(try await s.request("GET", "/v1/keys/nonsense/rotation").status == 404)
            #expect(try await s.anonymous("GET", "/v1/keys/\(id)/rotation").status == 401)
        }
    }
}
