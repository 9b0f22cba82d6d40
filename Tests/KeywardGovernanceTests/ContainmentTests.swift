import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import KeywardVerify
import Testing

/// A leak reported to intake is contained by policy and opens (or joins) the credential's
/// incident, with its timeline and time to contain, in the same transaction as the report.
@Suite("Governance: containment and incidents")
struct ContainmentTests {
    /// Live keys revoked, test keys quarantined (the defaults), except a live key reported from a
    /// paste site, which only notifies.
    static let policy = ContainmentPolicy(rules: [.init(environment: .live, source: "paste-site", action: .notify)] + ContainmentPolicy.defaultRules)

    @Test("by policy: a leaked live key is revoked, a test key quarantined, a paste-site report only notifies; time to contain runs from receipt on the store's clock", arguments: Backend.allCases)
    func containmentByPolicy(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend, containment: Self.policy) { h in
            let hook = try await h.subscribeAll()
            let idn = try await h.identity()
            let (live, liveSecret) = try await h.issue(idn.id)
            let (test, testSecret) = try await h.issue(idn.id, environment: .test)
            let (_, pasted) = try await h.issue(idn.id)

            let head = try await h.auditHead()
            let revoked = try await h.report(liveSecret, receivedAt: h.clock.now.addingTimeInterval(-2))
            #expect(revoked.classification == .valid && revoked.action == .revoke && revoked.notified == true)
            #expect(try h.verify(liveSecret).reason == .revoked)
            let revokedID = try #require(revoked.incidentID)
            let incident = try #require(try await h.governance.incident(revokedID))
            #expect(incident.status == .contained && incident.target == .key(live.id))
            #expect(incident.timeToContainMillis == 2_000)
            // The revocation, the incident and the report are audited in the report's one transaction.
            let written = try await h.audit(after: head)
            #expect(written.map(\.action) == ["key.revoked", "incident.opened", "exposure.reported"])
            try #require(written.count == 3)
            #expect(Set(written.map(\.at)).count == 1)
            #expect(written[1].details.contains(#""time_to_contain_ms":"2000""#))
            #expect(try await h.queued(hook.id).map(\.event).sorted() == ["incident.contained", "incident.opened", "key.revoked"])

            let quarantined = try await h.report(testSecret)
            #expect(quarantined.action == .quarantine)
            #expect(try h.verify(testSecret).reason == .quarantined)
            #expect(try await h.governance.key(test.id)?.status == .quarantined)

            let notified = try await h.report(pasted, source: "paste-site")
            #expect(notified.action == .notify)
            #expect(try h.verify(pasted).valid, "notify leaves the key working")
            let notifiedID = try #require(notified.incidentID)
            let open = try #require(try await h.governance.incident(notifiedID))
            #expect(open.status == .open && open.timeToContainMillis == nil)
            #expect(open.guidance.contains("rotate"))
        }
    }

    @Test("a digest without proof of possession from a non-admin reporter contains nothing and learns nothing; the incident says containment was withheld", arguments: Backend.allCases)
    func digestOnlyWithheld(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let (key, secret) = try await h.issue(idn.id)
            let outcome = try await h.report(secret, plaintext: false)
            #expect(outcome.classification == nil && outcome.incidentID == nil && outcome.action == nil, "the reporter is told nothing")
            #expect(try h.verify(secret).valid)
            let incidents = try await h.governance.incidents(IncidentFilter(), limit: 10, after: nil).items
            let incident = try #require(incidents.first { $0.target == .key(key.id) })
            #expect(incident.action == .notify && incident.status == .open)
            #expect(incident.events.map(\.kind).contains("containment_withheld"))
        }
    }

    @Test("incidents: one per credential; another leak of it joins the open incident's timeline; resolving closes it, and a later leak opens a new one", arguments: Backend.allCases)
    func oneIncidentPerCredential(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend, containment: ContainmentPolicy(rules: [])) { h in
            let idn = try await h.identity()
            let (key, secret) = try await h.issue(idn.id)
            let first = try await h.report(secret, path: "a.env")
            let id = try #require(first.incidentID)
            #expect(first.action == .notify)

            h.clock.advance(by: 60)
            let second = try await h.report(secret, path: "b.env")
            #expect(second.incidentID == id && second.action == nil, "a second leak joins; nothing is done twice")
            let repeated = try await h.report(secret, path: "a.env")
            #expect(repeated.duplicate && repeated.incidentID == id)

            var incident = try #require(try await h.governance.incident(id))
            #expect(incident.exposureCount == 2)
            // No webhook subscribes: the timeline says nobody was told.
            #expect(incident.events.map(\.kind) == ["received", "matched", "not_notified", "exposure_added"])
            #expect(incident.events.last?.detail.contains("b.env") == true)
            #expect(incident.events.last?.at == h.clock.now)
            #expect(h.logs.all.contains { $0.contains("nobody notified") })

            incident = try await h.governance.resolveIncident(id, reason: "rotated and redeployed", actor: GovernanceHarness.admin)
            #expect(incident.status == .resolved && incident.events.last?.kind == "resolved")
            #expect(try await h.audit().last?.action == "incident.resolved")
            let twice = await KeyLifecycleTests.refusal { try await h.governance.resolveIncident(id, reason: "again", actor: GovernanceHarness.admin) }
            #expect(twice?.code == .conflict)

            let later = try await h.report(secret, path: "c.env")
            let next = try #require(later.incidentID)
            #expect(next != id)
            #expect(try await h.governance.incidents(IncidentFilter(), limit: 10, after: nil).items.filter { $0.target == .key(key.id) }.count == 2)
        }
    }
}
