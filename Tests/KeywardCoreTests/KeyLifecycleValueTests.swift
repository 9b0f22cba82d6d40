import Foundation
import KeywardCore
import Testing

/// The key lifecycle as values: the one state rule, revocation and quarantine plans, and the
/// containment decision. Pure functions on fixed instants; no clock, store or I/O.
@Suite("key lifecycle as values")
struct KeyLifecycleValueTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func key(_ env: KeyEnvironment = .live, status: KeyStatus = .active, versions: [(Int, TimeInterval?, TimeInterval?)] = [(1, 3_600, nil)],
                    current: Int? = nil) -> APIKey {
        let vs = versions.map { v, expires, grace in
            KeyVersion(version: v, digest: SecretDigest(hashing: Array("v\(v)".utf8)), fingerprint: Fingerprint(hex: "00"), prefix: "kw_live_",
                       expiresAt: expires.map { t0.addingTimeInterval($0) }, createdAt: t0, graceUntil: grace.map { t0.addingTimeInterval($0) })
        }
        return APIKey(id: .random(), identityID: .random(), name: nil, environment: env, scopes: [Scope("a:read")!], status: status,
                      currentVersion: current ?? versions.last!.0, createdAt: t0, updatedAt: t0, versions: vs)
    }

    static func at(_ s: TimeInterval) -> Date { t0.addingTimeInterval(s) }

    @Test("a version's state: current, in grace, rotated at the grace's end, expired at expiry; revoked and quarantined override")
    func states() {
        // v1 rotated at t0 with 60 s of grace; v2 current; both expire after an hour.
        let k = Self.key(versions: [(1, 3_600, 60), (2, 3_600, nil)])
        let (v1, v2) = (k.versions[0], k.versions[1])
        #expect(k.state(of: v1, at: Self.at(59)) == .grace)
        #expect(k.state(of: v1, at: Self.at(60)) == .rotated)
        #expect(k.state(of: v2, at: Self.at(60)) == .current)
        #expect(k.state(of: v2, at: Self.at(3_599)) == .current)
        #expect(k.state(of: v2, at: Self.at(3_600)) == .expired)
        // Superseded and expired at once: it was replaced first.
        #expect(k.state(of: v1, at: Self.at(3_600)) == .rotated)

        var revoked = k
        revoked.status = .revoked
        #expect(revoked.versions.allSatisfy { revoked.state(of: $0, at: Self.at(1)) == .revoked })
        #expect(revoked.effectiveStatus(at: Self.at(1)) == "revoked")

        var quarantined = k
        quarantined.status = .quarantined
        #expect(quarantined.state(of: v2, at: Self.at(1)) == .quarantined)
        // A version still in grace is usable, so quarantine covers it too.
        #expect(quarantined.state(of: v1, at: Self.at(1)) == .quarantined)
        #expect(quarantined.state(of: v1, at: Self.at(61)) == .rotated)
        // Expiry wins over quarantine: nothing left to contain.
        #expect(quarantined.state(of: v2, at: Self.at(3_600)) == .expired)
        #expect(quarantined.effectiveStatus(at: Self.at(3_600)) == "expired")
        #expect(k.effectiveStatus(at: Self.at(1)) == "active")
        #expect(k.isUsable(at: Self.at(1)) && !k.isUsable(at: Self.at(3_600)) && !quarantined.isUsable(at: Self.at(1)))
    }

    @Test("a non-expiring current version never expires, and a superseded one without a grace time is rotated at once")
    func edges() {
        let k = Self.key(versions: [(1, nil, nil), (2, nil, nil)])
        #expect(k.state(of: k.versions[1], at: Date.distantFuture.addingTimeInterval(-1)) == .current)
        #expect(k.state(of: k.versions[0], at: Self.at(0)) == .rotated)
    }

    @Test("revoking plans the root and every key derived from it, depth first, each audited and announced, nothing twice")
    func revocationPlan() {
        let root = Self.key(), child = Self.key(), grandchild = Self.key()
        var gone = Self.key()
        gone.status = .revoked
        let below = Self.key()
        // child → grandchild; `gone` was revoked before, and what hangs below it is left alone;
        // a link back to the root (a corrupt tree) does not loop.
        let tree = DerivationTree(children: [root.id: [child, gone], child.id: [grandchild, root], gone.id: [below]])
        let plan = KeyLifecycle.planRevocation(of: root, derived: tree, reason: "leaked", actor: "admin", at: Self.at(5))
        #expect(plan.keyIDs == [root.id, child.id, grandchild.id])
        #expect(plan.steps.allSatisfy { $0.key.status == .revoked && $0.key.revokedAt == Self.at(5) && $0.key.updatedAt == Self.at(5) })
        #expect(plan.steps.map(\.audit.action) == [.keyRevoked, .keyRevoked, .keyRevoked])
        #expect(plan.steps[0].audit.details["cascade_from"] == nil)
        #expect(plan.steps[1].audit.details["cascade_from"] == root.id.description)
        #expect(plan.steps[2].audit.details["cascade_from"] == child.id.description)
        #expect(plan.steps[2].key.revokeReason == "derived from \(child.id) (derived from \(root.id) (leaked))")
        #expect(plan.steps.compactMap(\.event).map(\.type) == [.keyRevoked, .keyRevoked, .keyRevoked])
        #expect(plan.steps.allSatisfy { $0.audit.details["reason"] == $0.key.revokeReason && $0.audit.actor == "admin" })

        // Revoking what is already revoked plans nothing.
        #expect(KeyLifecycle.planRevocation(of: gone, derived: tree, reason: "again", actor: "admin", at: Self.at(6)).steps.isEmpty)
        // A decommissioned identity names itself as the cause.
        let byIdentity = KeyLifecycle.planRevocation(of: child, derived: tree, reason: "identity decommissioned", actor: "admin",
                                                     cascadeFrom: "idn_x", at: Self.at(7))
        #expect(byIdentity.steps.first?.audit.details["cascade_from"] == "idn_x")
    }

    @Test("quarantine changes only active keys, cascades, and announces nothing by itself")
    func quarantinePlan() {
        let root = Self.key(.test), child = Self.key(.test)
        var already = Self.key(.test)
        already.status = .quarantined
        let plan = KeyLifecycle.planQuarantine(of: root, derived: DerivationTree(children: [root.id: [child, already]]), reason: "pasted",
                                               actor: "reporter", at: Self.at(1))
        #expect(plan.keyIDs == [root.id, child.id])
        #expect(plan.steps.allSatisfy { $0.key.status == .quarantined && $0.event == nil && $0.audit.action == .keyQuarantined })
        #expect(plan.steps[0].key.revokedAt == nil)
    }

    @Test("containment decides from the version's state, the policy and the evidence of possession")
    func containmentDecision() {
        let policy = ContainmentPolicy()
        let live = Self.key(.live), test = Self.key(.test)
        let now = Self.at(1)
        #expect(policy.decide(key: live, version: live.versions[0], source: "github", mayContain: true, at: now)
            == ContainmentDecision(classification: .valid, action: .revoke, withheld: nil))
        #expect(policy.decide(key: test, version: test.versions[0], source: "github", mayContain: true, at: now)
            == ContainmentDecision(classification: .valid, action: .quarantine, withheld: nil))
        // A digest alone: the owner is told, the policy's action is withheld and named.
        #expect(policy.decide(key: live, version: live.versions[0], source: "github", mayContain: false, at: now)
            == ContainmentDecision(classification: .valid, action: .notify, withheld: .revoke))
        // Already quarantined: a revoke policy still revokes; a quarantine policy has nothing to do.
        var q = live
        q.status = .quarantined
        #expect(policy.decide(key: q, version: q.versions[0], source: "github", mayContain: true, at: now).action == .revoke)
        var tq = test
        tq.status = .quarantined
        #expect(policy.decide(key: tq, version: tq.versions[0], source: "github", mayContain: true, at: now)
            == ContainmentDecision(classification: .alreadyQuarantined, action: nil, withheld: nil))
        // Nothing trusted any more: no action, whatever the policy.
        let rotated = Self.key(versions: [(1, 3_600, 0), (2, 3_600, nil)])
        #expect(policy.decide(key: rotated, version: rotated.versions[0], source: "github", mayContain: true, at: now)
            == ContainmentDecision(classification: .rotated, action: nil, withheld: nil))
        #expect(policy.decide(key: live, version: live.versions[0], source: "github", mayContain: true, at: Self.at(3_600)).classification == .expired)
        // Source-specific rules come first.
        let paste = ContainmentPolicy(rules: [.init(environment: .live, source: "paste", action: .notify)] + ContainmentPolicy.defaultRules)
        #expect(paste.decide(key: live, version: live.versions[0], source: "paste", mayContain: true, at: now).action == .notify)
        #expect(paste.decide(key: live, version: live.versions[0], source: "github", mayContain: true, at: now).action == .revoke)
    }

    @Test("every audit action has a distinct dotted name, and the replay knows the ones that change state")
    func auditActions() {
        let names = AuditAction.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.split(separator: ".").count == 2 })
        #expect(WebhookEventType.allCases.map(\.rawValue).allSatisfy { $0.split(separator: ".").count == 2 })
    }
}
