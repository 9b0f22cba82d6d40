import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import KeywardVerify
import Testing

/// Issuance under policy, rotation and its grace window, revocation and its cascade: through
/// Governance on a real store, answered by the verify index the store feeds, on a manual clock.
@Suite("Governance: key lifecycle")
struct KeyLifecycleTests {
    /// The refusal a Governance call threw, or nil if it did not throw one.
    static func refusal(_ call: () async throws -> some Any) async -> KeywardError? {
        do { _ = try await call(); return nil } catch { return error as? KeywardError }
    }

    @Test("issuance: a key within policy verifies and is audited; scopes outside the identity and an over-long lifetime are refused by rule, audited, and issue nothing; the default lifetime ends in expired", arguments: Backend.allCases)
    func issuanceUnderPolicy(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let (key, secret) = try await h.issue(idn.id)
            #expect(try h.verify(secret, scopes: ["payments:read"]).valid)
            let issued = try #require(try await h.audit().last)
            #expect(issued.action == "key.issued" && issued.target == key.id.description)
            #expect(!issued.details.contains(secret.reveal()))

            for (scopes, ttl, rule) in [(["payments:admin"], nil, "scopes.outside_allowed"), (["payments:read"], 365 * 86_400, "lifetime.exceeds_maximum")] as [([String], Int?, String)] {
                let head = try await h.auditHead()
                let refused = await Self.refusal { try await h.issue(idn.id, scopes: scopes, ttl: ttl) }
                #expect(refused?.code == .policyDenied)
                #expect(refused?.rule == rule)
                // The refusal is audited, and it is all that was written.
                let written = try await h.audit(after: head)
                #expect(written.map(\.action) == ["key.refused"])
                #expect(written.first?.details.contains(rule) == true)
            }
            #expect(try await h.keyIDs(of: idn.id).count == 1, "a refused request issued a key")

            // Default lifetime (30 days): valid up to its last instant, expired from then on.
            h.clock.advance(by: 30 * 86_400 - 1)
            #expect(try h.verify(secret).valid)
            h.clock.advance(by: 1)
            #expect(try h.verify(secret).reason == .expired)
        }
    }

    @Test("rotation: the old version stays valid inside the grace window and answers rotated from its end; the new one is valid; rotated and queued in one step", arguments: Backend.allCases)
    func rotationAndGrace(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let hook = try await h.subscribeAll()
            let idn = try await h.identity()
            let (key, old) = try await h.issue(idn.id)
            let rotatedAt = h.clock.now
            let (rotated, new) = try await h.governance.rotateKey(key.id, graceSeconds: 3_600, actor: GovernanceHarness.admin)
            #expect(rotated.id == key.id && rotated.currentVersion == 2)

            #expect(try h.verify(old).valid && h.verify(old).version == 1, "inside the grace window the old version is valid")
            #expect(try h.verify(new).valid && h.verify(new).version == 2)
            h.clock.advance(by: 3_599)
            #expect(try h.verify(old).valid)
            h.clock.advance(by: 1)
            #expect(try h.verify(old).reason == .rotated, "at the end of the grace window the old version stops")
            #expect(try h.verify(new).valid)

            let audit = try #require(try await h.audit().last { $0.action == "key.rotated" })
            #expect(audit.target == key.id.description)
            #expect(audit.details.contains(#""from_version":"1""#) && audit.details.contains(#""to_version":"2""#))
            #expect(audit.details.contains(#""grace_until":"\#(rotatedAt.addingTimeInterval(3_600).unixMillis)""#))
            let events = try await h.queued(hook.id)
            #expect(events.map(\.event) == ["key.rotated"])
            #expect(events.first?.payload.contains(#""version":"2""#) == true)
            #expect(events.allSatisfy { !$0.payload.contains(new.reveal()) && !$0.payload.contains(old.reveal()) })

            // A grace window beyond the policy's maximum (7 days) is refused, and nothing rotates.
            let tooLong = await Self.refusal { try await h.governance.rotateKey(key.id, graceSeconds: 8 * 86_400, actor: GovernanceHarness.admin) }
            #expect(tooLong?.rule == "rotation.grace_exceeds_maximum")
            #expect(try h.verify(new).valid && h.verify(new).version == 2)
        }
    }

    @Test("revocation cascades to derived keys transitively in one transaction: every version and every descendant answers revoked, each audited and announced; an unrelated key is untouched", arguments: Backend.allCases)
    func revocationCascade(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let hook = try await h.subscribeAll()
            let idn = try await h.identity()
            let (parent, parentV1) = try await h.issue(idn.id, scopes: ["payments:read", "payments:write"])
            let (_, parentV2) = try await h.governance.rotateKey(parent.id, graceSeconds: 3_600, actor: GovernanceHarness.admin)
            let (child, childSecret) = try await h.issue(idn.id, scopes: ["payments:read"], ttl: 86_400, derivedFrom: parent.id)
            let (grandchild, grandchildSecret) = try await h.issue(idn.id, scopes: ["payments:read"], ttl: 3_600, derivedFrom: child.id)
            let (_, sibling) = try await h.issue(idn.id)
            // A derived key is never broader than its parent.
            let broader = await Self.refusal { try await h.issue(idn.id, scopes: ["payments:write"], derivedFrom: child.id) }
            #expect(broader?.rule == "derivation.scope_exceeds_parent")
            #expect(try h.verify(parentV1).valid, "the superseded version is inside its grace window")

            let head = try await h.auditHead()
            let revoked = try await h.governance.revokeKey(parent.id, reason: "leaked in a ticket", actor: GovernanceHarness.admin)
            #expect(revoked.status == .revoked)
            for s in [parentV1, parentV2, childSecret, grandchildSecret] {
                #expect(try h.verify(s).reason == .revoked)
            }
            #expect(try h.verify(sibling).valid)

            // One transaction: three consecutive records with the transaction's instant, parent first.
            let written = try await h.audit(after: head)
            #expect(written.map(\.action) == ["key.revoked", "key.revoked", "key.revoked"])
            try #require(written.count == 3)
            #expect(written.map(\.target) == [parent.id, child.id, grandchild.id].map(\.description))
            #expect(Set(written.map(\.at)).count == 1)
            #expect(written[1].details.contains(#""cascade_from":"\#(parent.id)""#))
            #expect(written[2].details.contains(#""cascade_from":"\#(child.id)""#))
            // The rotation's event, then one per revoked key.
            #expect(try await h.queued(hook.id).map(\.event).sorted() == ["key.revoked", "key.revoked", "key.revoked", "key.rotated"])

            let again = await Self.refusal { try await h.governance.revokeKey(child.id, reason: "again", actor: GovernanceHarness.admin) }
            #expect(again?.code == .conflict)
        }
    }

    @Test("revoking the last usable admin key is refused, and the refused transaction leaves no trace", arguments: Backend.allCases)
    func lastAdminKeyKept(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let adminKeys = try await h.keyIDs(of: .keyward)
            let adminKey = try #require(adminKeys.first)
            #expect(adminKeys.count == 1)
            let head = try await h.auditHead()
            let refused = await Self.refusal { try await h.governance.revokeKey(adminKey, reason: "oops", actor: GovernanceHarness.admin) }
            #expect(refused?.code == .conflict)
            #expect(try await h.auditHead() == head)
            #expect(try await h.store.key(adminKey)?.status == .active)
        }
    }
}
