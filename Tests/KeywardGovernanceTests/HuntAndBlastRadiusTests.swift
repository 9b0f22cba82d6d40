import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import KeywardVerify
import Testing

/// The blast radius and the hunt read verify telemetry once it is flushed to the store: a test
/// flushes it itself (`UsageFlusher.flush`) instead of waiting for the timer.
@Suite("Governance: blast radius and hunt")
struct HuntAndBlastRadiusTests {
    @Test("blast radius: declared and observed consumers (from flushed telemetry, undeclared ones flagged), derived keys and resources", arguments: Backend.allCases)
    func blastRadius(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let (key, secret) = try await h.issue(idn.id, scopes: ["payments:read", "payments:write"])
            let (child, _) = try await h.issue(idn.id, scopes: ["payments:read"], ttl: 3_600, derivedFrom: key.id)
            let worker = try await h.governance.createConsumer(NewConsumer(name: "billing-worker", kind: "deployment", environment: "production",
                                                                           contact: "ops@example.com", holds: [key.id.description]), actor: GovernanceHarness.admin)
            let declared = VerifySource(ip: "10.0.0.5", userAgent: "billing-worker/2.1")
            let stranger = VerifySource(ip: "203.0.113.9", userAgent: "curl/8.5")
            for _ in 0..<3 { #expect(try h.verify(secret, scopes: ["payments:read"], source: declared).valid) }
            #expect(try h.verify(secret, scopes: ["payments:write"], source: stranger).valid)

            #expect(try await h.governance.blastRadius(of: key.id).observedConsumers.isEmpty, "nothing is observed before the flush")
            #expect(await h.usage.flush() == 1)
            #expect(await h.usage.flush() == 0, "a flush writes each use once")

            let radius = try await h.governance.blastRadius(of: key.id)
            #expect(radius.declaredConsumers.map(\.id) == [worker.id.description])
            let observed = Dictionary(uniqueKeysWithValues: radius.observedConsumers.map { ($0.ip ?? "", $0) })
            #expect(observed["10.0.0.5"]?.count == 3 && observed["10.0.0.5"]?.undeclared == false)
            #expect(observed["203.0.113.9"]?.count == 1 && observed["203.0.113.9"]?.undeclared == true)
            #expect(radius.derivedCredentials.map(\.id) == [child.id.description])
            #expect(radius.resources == ["payments"])
            #expect(radius.owner.technicalOwner == "alice@example.com")
        }
    }

    @Test("the hunt of a leaked key reports its use since the leak was first seen: outcomes, failures, sources and scopes used, kept on the incident", arguments: Backend.allCases)
    func huntOnIncident(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let (key, secret) = try await h.issue(idn.id, scopes: ["payments:read", "payments:write"])
            let attacker = VerifySource(ip: "198.51.100.7", userAgent: "python-requests/2.31")
            h.clock.advance(by: 3 * 3_600)
            let firstSeen = h.clock.now
            for _ in 0..<2 { #expect(try h.verify(secret, scopes: ["payments:write"], source: attacker).valid) }
            #expect(try h.verify(secret, scopes: ["payments:admin"], source: attacker).reason == .insufficientScope)
            #expect(await h.usage.flush() == 1)

            h.clock.advance(by: 600)
            let outcome = try await h.report(secret, firstSeen: firstSeen)
            let outcomeID = try #require(outcome.incidentID)
            let incident = try #require(try await h.governance.incident(outcomeID))
            let hunt = try decodeStored(HuntReport.self, incident.huntJSON)
            #expect(hunt.since == firstSeen)
            #expect(hunt.outcomes == ["valid": 2, "insufficient_scope": 1])
            #expect(hunt.failures == 1)
            #expect(hunt.sources.map(\.ip) == ["198.51.100.7"])
            #expect(hunt.scopesUsed.map(\.scope) == ["payments:write"] && hunt.scopesUsed.first?.count == 2)
            let radius = try decodeStored(BlastRadiusReport.self, incident.blastRadiusJSON)
            #expect(radius.target.id == key.id.description && radius.observedConsumers.first?.undeclared == true)
        }
    }
}
