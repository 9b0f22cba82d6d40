import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import KeywardVerify
import Testing

/// Recording what the detectors found, on a real store (SQLite and PostgreSQL) and a manual clock.
@Suite("Detections in the domain")
struct DetectionGovernanceTests {
    func finding(_ d: DetectorKind, key: APIKey, at: Date) -> Finding {
        Finding(detector: d, at: at, keyID: key.id, identityID: key.identityID, environment: key.environment, source: "203.0.113.50",
                evidence: .init(windowSeconds: 900, count: 120, baseline: 20, threshold: 80, sources: ["203.0.113.50"],
                                summary: "the quarter-hour average reached 120 calls a minute against a learned 20"))
    }

    @Test("quarantine by policy takes the key and its derived keys, opens a detected incident with the evidence, and a release restores them; audit verify agrees", arguments: Backend.allCases)
    func quarantineAndRelease(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let (parent, secret) = try await h.issue(idn.id)
            let (child, childSecret) = try await h.issue(idn.id, derivedFrom: parent.id)
            let d = try await h.governance.recordDetection(finding(.volumeClimb, key: parent, at: h.clock.now), subject: DetectionSubject(keyID: parent.id),
                                                           action: .quarantine, blockedUntil: nil)
            #expect(d.action == .quarantine && d.status == .open)
            #expect(try h.verify(secret).reason == .quarantined && h.verify(childSecret).reason == .quarantined)
            let incidentID = try #require(d.incidentID)
            let incident = try #require(try await h.store.incident(incidentID))
            #expect(incident.classification == .detected && incident.status == .contained && incident.source == "detector:volume_climb")
            #expect(incident.events.first?.kind == "detected" && incident.events.first?.detail.contains("120 calls a minute") == true)

            // A second detection of the same key joins its open incident.
            let again = try await h.governance.recordDetection(finding(.newSource, key: parent, at: h.clock.now), subject: DetectionSubject(keyID: parent.id),
                                                               action: .quarantine, blockedUntil: nil)
            #expect(again.incidentID == d.incidentID)

            h.clock.advance(by: 60)
            await #expect(throws: KeywardError.self) {
                try await h.governance.releaseDetection(d.id, reason: "x", actor: GovernanceHarness.reporter)
            }
            let released = try await h.governance.releaseDetection(d.id, reason: "a planned backfill", actor: GovernanceHarness.admin)
            #expect(released.status == .released && released.releasedBy == GovernanceHarness.admin.name)
            #expect(try h.verify(secret).valid && h.verify(childSecret).valid)
            _ = child
            let audit = try await h.audit()
            #expect(audit.filter { $0.action == "key.released" }.count == 2)
            #expect(audit.contains { $0.action == "detection.raised" } && audit.contains { $0.action == "detection.released" })
            #expect(!audit.contains { $0.details.contains(secret.reveal()) })
            guard case .ok = try await h.store.verifyAudit(checkpoint: nil) else {
                Issue.record("audit verify disagrees after a quarantine and a release")
                return
            }
        }
    }

    @Test("a key also contained for a leak is not released by a detection's release: it must be rotated", arguments: Backend.allCases)
    func leakedKeyStaysContained(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend, containment: ContainmentPolicy(rules: [.init(environment: nil, source: nil, action: .quarantine)])) { h in
            let idn = try await h.identity()
            let (key, secret) = try await h.issue(idn.id)
            _ = try await h.report(secret)
            #expect(try h.verify(secret).reason == .quarantined)
            let d = try await h.governance.recordDetection(finding(.humanUse, key: key, at: h.clock.now), subject: DetectionSubject(keyID: key.id),
                                                           action: .quarantine, blockedUntil: nil)
            await #expect(throws: KeywardError.self) {
                try await h.governance.releaseDetection(d.id, reason: "looks fine", actor: GovernanceHarness.admin)
            }
            #expect(try h.verify(secret).reason == .quarantined)
        }
    }

    @Test("a block is recorded with its end, listed as active until then, and a notify finding for an OAuth client or an unknown key records without quarantine", arguments: Backend.allCases)
    func blocksAndNotify(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let now = h.clock.now
            let f = Finding(detector: .enumeration, at: now, source: "198.51.100.7",
                            evidence: .init(windowSeconds: 60, count: 20, threshold: 20, sources: ["198.51.100.7"], summary: "20 distinct unknown keys"))
            let b = try await h.governance.recordDetection(f, subject: nil, action: .block, blockedUntil: now.addingTimeInterval(3_600))
            #expect(try await h.store.activeBlocks(at: now).map(\.id) == [b.id])
            #expect(try await h.store.activeBlocks(at: now.addingTimeInterval(3_601)).isEmpty)
            // Quarantine asked for a subject that has none: announced only.
            let q = try await h.governance.recordDetection(f, subject: nil, action: .quarantine, blockedUntil: nil)
            #expect(q.action == .notify && q.incidentID == nil)
            let page = try await h.governance.detections(DetectionFilter(detector: .enumeration), limit: 1, after: nil)
            #expect(page.items.count == 1 && page.nextCursor != nil)
        }
    }
}
