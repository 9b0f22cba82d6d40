import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardServer
import KeywardTesting
import NIOHTTP1
import Testing

/// `GET /v1/posture` over a socket: the checks read the real store and telemetry, and the
/// posture changes when the inventory does.
@Suite("Posture (OWASP NHI Top 10)")
struct PostureRoutesTests {
    @Test("posture names the pipeline's static key, the unused scope and the key with no expiry, each with its owner; revoking the key clears its findings; 401 without a key; no secret in the answer")
    func roundTrip() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let api = try await s.createIdentity(name: "orders-api", scopes: ["orders:read", "orders:write"])
            let wide = try await s.issueKey(identity: api, scopes: ["orders:read", "orders:write"], ttl: 30 * 86_400)
            let ci = try await s.createIdentity(name: "deploy-ci", technicalOwner: "bob@example.com", scopes: ["deploy:write"], kind: "pipeline")
            let static_ = try await s.issueKey(identity: ci, scopes: ["deploy:write"])
            #expect(try await s.verify(wide.key, scopes: ["orders:read"])["valid"] as? Bool == true)
            _ = await s.flushUsage()

            let r = try await s.request("GET", "/v1/posture")
            #expect(r.status == 200, "\(r.text)")
            #expect(!r.text.contains(wide.key) && !r.text.contains(static_.key))
            let p = try r.decode(PostureResponse.self)
            #expect(p.risks.map(\.id) == NHIRisk.allCases.map(\.rawValue))
            func risk(_ id: String, _ report: PostureResponse) -> PostureRiskDTO { report.risks.first { $0.id == id }! }

            let nhi6 = risk("NHI6", p).findings
            #expect(nhi6.count == 1 && nhi6.first?.subjectId == static_.id && nhi6.first?.owner == "bob@example.com")
            let nhi5 = risk("NHI5", p).findings
            #expect(nhi5.contains { $0.subjectId == wide.id && $0.evidence.contains("orders:write") && $0.owner == "alice@example.com" })
            #expect(!nhi5.contains { $0.subjectId == static_.id }) // no telemetry for it: nothing inferred
            if let expiry = risk("NHI7", p).findings.first(where: { $0.subjectId == static_.id }) {
                #expect(expiry.evidence.hasPrefix("no expiry"))
            }
            #expect(risk("NHI1", p).noData.isEmpty) // review records are read (none overdue yet)
            #expect(p.overallScore != nil && p.overallScore! < 100)

            #expect(try await s.request("POST", "/v1/keys/\(static_.id)/revoke", body: #"{"reason":"moved to federation"}"#).status == 200)
            let after = try await s.request("GET", "/v1/posture").decode(PostureResponse.self)
            #expect(risk("NHI6", after).findings.isEmpty && risk("NHI6", after).score == 100)
            #expect(!after.risks.flatMap(\.findings).contains { $0.subjectId == static_.id })
            // Prometheus series per risk, from the posture just computed.
            let metrics = try await s.request("GET", "/metrics").text
            #expect(metrics.contains("keyward_posture_score{risk=\"NHI6\"} 100"))
            #expect(metrics.contains("keyward_posture_findings{risk=\"NHI5\",severity=\"medium\"} 1"))
            #expect(metrics.contains("keyward_posture_overall_score \(after.overallScore!)"))

            // The Grafana dashboard in deploy/grafana reads only series this server exports.
            let dashboard = try Data(contentsOf: KeywardBinary.repositoryRoot().appendingPathComponent("deploy/grafana/keyward-posture.json"))
            let panels = try #require((try JSONSerialization.jsonObject(with: dashboard) as? [String: Any])?["panels"] as? [[String: Any]])
            let exprs = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
            #expect(exprs.count >= 6)
            for name in Set(exprs.flatMap { e in e.matches(of: /keyward_[a-z_]+/).map { String($0.output) } }) {
                #expect(metrics.contains("\n" + name + "{") || metrics.contains("\n" + name + " "), "the dashboard reads \(name), which /metrics lacks")
            }
            // The HTML report: self-contained, nothing may load or run, every value escaped.
            let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"
            let xss = try await s.createIdentity(name: "\"><svg onload=alert(3)>", technicalOwner: hostile, scopes: ["deploy:write"], kind: "pipeline")
            let xssKey = try await s.issueKey(identity: xss, scopes: ["deploy:write"])
            let page = try await s.request("GET", "/v1/posture/report")
            #expect(page.status == 200)
            #expect(page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
            #expect(page.headers.first(name: "content-security-policy")?.hasPrefix("default-src 'none'") == true)
            #expect(page.headers.first(name: "x-frame-options") == "DENY")
            #expect(page.text.contains(xssKey.id) && page.text.contains("&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;"))
            #expect(!page.text.contains("<script") && !page.text.contains("<img") && !page.text.contains("onload=alert(3)>"))
            #expect(!page.text.contains("src=\"http") && !page.text.contains("href=\"http"))
            #expect(!page.text.contains(xssKey.key) && !page.text.contains(wide.key))
            #expect(try await s.anonymous("GET", "/v1/posture/report").status == 401)
            // One snapshot per day: today's is the last computed; yesterday's stays.
            let today = try await s.request("GET", "/v1/posture/trend").decode(ListResponse<PostureSnapshotDTO>.self).items
            #expect(today.count == 1 && today.first?.risks.count == 10)
            clock.advance(by: 86_400)
            let tomorrow = try await s.request("GET", "/v1/posture").decode(PostureResponse.self)
            let trend = try await s.request("GET", "/v1/posture/trend?days=7").decode(ListResponse<PostureSnapshotDTO>.self).items
            #expect(trend.count == 2 && trend.map(\.day) == trend.map(\.day).sorted() && trend.last?.overallScore == tomorrow.overallScore)
            #expect(trend.first?.day == today.first?.day)
            #expect(try await s.request("GET", "/v1/posture/trend?days=1").decode(ListResponse<PostureSnapshotDTO>.self).items.count == 1)
            for bad in ["days=0", "days=367", "days=x"] { #expect(try await s.request("GET", "/v1/posture/trend?\(bad)").status == 400) }
            #expect(try await s.anonymous("GET", "/v1/posture").status == 401)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("recertification: an identity unconfirmed for 90 days is listed for its owner and is an NHI1 finding; confirming it (audited) clears both; decommissioned 409, unknown 404, bad horizon 400")
    func reviews() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity(name: "billing-api")
            let gone = try await s.createIdentity(name: "old-batch")
            #expect(try await s.request("GET", "/v1/reviews?horizon_days=0").decode(ListResponse<ReviewItemResponse>.self).items.isEmpty)
            clock.advance(by: 91 * 86_400)
            let due = try await s.request("GET", "/v1/reviews").decode(ListResponse<ReviewItemResponse>.self).items
            #expect(Set(due.map(\.identityId)) == [idn, gone] && due.allSatisfy { $0.overdueDays == 1 && $0.owner == "alice@example.com" })
            let before = try await s.request("GET", "/v1/posture").decode(PostureResponse.self)
            #expect(before.risks[0].findings.contains { $0.subjectId == idn && $0.evidence.hasPrefix("review overdue") })

            let ok = try await s.request("POST", "/v1/identities/\(idn)/confirm", body: #"{"note":"still bills"}"#)
            #expect(ok.status == 200, "\(ok.text)")
            let item = try ok.decode(ReviewItemResponse.self)
            #expect(item.overdueDays == -90 && item.lastConfirmedAt != nil)
            let audit = try #require(try await s.auditRecords().last)
            #expect(audit.action == "identity.confirmed" && audit.target == idn)
            #expect(try await s.auditChainIsValid())
            let after = try await s.request("GET", "/v1/posture").decode(PostureResponse.self)
            #expect(!after.risks[0].findings.contains { $0.subjectId == idn })
            #expect(try await s.request("GET", "/v1/reviews").decode(ListResponse<ReviewItemResponse>.self).items.map(\.identityId) == [gone])

            #expect(try await s.request("POST", "/v1/identities/\(gone)/decommission", body: "{}").status == 200)
            #expect(try await s.request("POST", "/v1/identities/\(gone)/confirm").status == 409)
            #expect(try await s.request("POST", "/v1/identities/idn_0123456789abcdef0123456789abcdef/confirm").status == 404)
            #expect(try await s.request("POST", "/v1/identities/idn_00000000000000000000000000000000/confirm").status == 409)
            #expect(try await s.request("POST", "/v1/identities/\(idn)/confirm", body: #"{"note":5}"#).status == 400)
            for bad in ["horizon_days=-1", "horizon_days=366", "horizon_days=x"] { #expect(try await s.request("GET", "/v1/reviews?\(bad)").status == 400) }
            #expect(try await s.anonymous("GET", "/v1/reviews").status == 401)
        }
    }

    @Test("review.due goes out once per due identity with its owner, again a week later while it stays due, and stops once confirmed")
    func reminders() async throws {
        try await WebhookReceiver.with { receiver in
            let clock = ManualClock()
            try await TestServer.with(clock: clock) { s in
                let hook = try await s.request("POST", "/v1/webhooks", body: #"{"url":"\#(receiver.url)","events":["review.due"]}"#, issuing: true)
                #expect(hook.status == 201)
                let idn = try await s.createIdentity(name: "billing-api")
                let governance = s.runtime.governance
                #expect(try await governance.remindReviews() == 0)
                clock.advance(by: 91 * 86_400)
                #expect(try await governance.remindReviews() == 1)
                #expect(try await governance.remindReviews() == 0)
                await s.drainWebhooks()
                #expect(receiver.all.count == 1)
                let event = try WireCoding.decoder().decode(WebhookEvent.self, from: Data(try #require(receiver.all.first).body.utf8))
                #expect(event.type == "review.due" && event.data["identity_id"] == idn && event.data["owner"] == "alice@example.com")
                clock.advance(by: 7 * 86_400)
                #expect(try await governance.remindReviews() == 1)
                #expect(try await s.request("POST", "/v1/identities/\(idn)/confirm").status == 200)
                clock.advance(by: 7 * 86_400)
                #expect(try await governance.remindReviews() == 0)
            }
        }
    }
}
