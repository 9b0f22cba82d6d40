import Foundation

/// A webhook event a plan asks to queue.
package struct PlannedEvent: Sendable, Equatable {
    package var type: WebhookEventType
    package var data: [String: String]
    package init(_ type: WebhookEventType, _ data: [String: String]) {
        self.type = type
        self.data = data
    }
}

/// The keys minted from other keys (`derived_from`), as loaded for one plan: parent → children.
package struct DerivationTree: Sendable, Equatable {
    package var children: [KeyID: [APIKey]]
    package init(children: [KeyID: [APIKey]] = [:]) { self.children = children }
}

/// What a revocation or a quarantine does, decided before anything is written: each key it
/// changes (the root, then every key derived from it, depth first), as it will be stored, with
/// its audit record and its webhook event. Governance loads the derivation tree, asks for the
/// plan and executes it in one write transaction.
package struct LifecyclePlan: Sendable, Equatable {
    package struct Step: Sendable, Equatable {
        package var key: APIKey
        package var audit: AuditEntry
        package var event: PlannedEvent?
    }
    package var steps: [Step] = []

    /// The keys the plan changes, root first.
    package var keyIDs: [KeyID] { steps.map(\.key.id) }
}

extension KeyLifecycle {
    /// Revokes `root` (every version) and, transitively, every key derived from it. A key already
    /// revoked is left as it is, and so is what hangs below it (it was revoked with it).
    /// `cascadeFrom`: what caused the root's revocation, when not a request for it (an identity
    /// decommissioned); the audit record says so.
    package static func planRevocation(of root: APIKey, derived: DerivationTree, reason: String, actor: String, cascadeFrom: String? = nil,
                                       at now: Date) -> LifecyclePlan {
        var plan = LifecyclePlan()
        var seen: Set<KeyID> = []
        func visit(_ key: APIKey, reason: String, cascadeFrom: String?) {
            guard key.status != .revoked, seen.insert(key.id).inserted else { return }
            var k = key
            k.status = .revoked
            k.revokedAt = now
            k.revokeReason = reason
            k.updatedAt = now
            var details = ["reason": reason, "versions": String(k.versions.count)]
            if let cascadeFrom { details["cascade_from"] = cascadeFrom }
            plan.steps.append(.init(key: k, audit: AuditEntry(actor: actor, action: .keyRevoked, target: k.id.description, details: details),
                                    event: PlannedEvent(.keyRevoked, ["key_id": k.id.description, "identity_id": k.identityID.description, "reason": reason])))
            for child in derived.children[key.id] ?? [] {
                visit(child, reason: "derived from \(key.id) (\(reason))", cascadeFrom: key.id.description)
            }
        }
        visit(root, reason: reason, cascadeFrom: cascadeFrom)
        return plan
    }

    /// Quarantines `root` and, transitively, the keys derived from it. Only active keys change
    /// (a revoked or already quarantined key, and what hangs below it, is left as it is).
    package static func planQuarantine(of root: APIKey, derived: DerivationTree, reason: String, actor: String, at now: Date) -> LifecyclePlan {
        var plan = LifecyclePlan()
        var seen: Set<KeyID> = []
        func visit(_ key: APIKey, reason: String, cascadeFrom: String?) {
            guard key.status == .active, seen.insert(key.id).inserted else { return }
            var k = key
            k.status = .quarantined
            k.updatedAt = now
            var details = ["reason": reason]
            if let cascadeFrom { details["cascade_from"] = cascadeFrom }
            plan.steps.append(.init(key: k, audit: AuditEntry(actor: actor, action: .keyQuarantined, target: k.id.description, details: details),
                                    event: nil))
            for child in derived.children[key.id] ?? [] {
                visit(child, reason: "derived from \(key.id) (\(reason))", cascadeFrom: key.id.description)
            }
        }
        visit(root, reason: reason, cascadeFrom: nil)
        return plan
    }
}

extension KeyLifecycle {
    /// Releases `root` from quarantine and, transitively, the quarantined keys derived from it (an
    /// admin's decision after a detection proved harmless). Active and revoked keys stay as they are.
    package static func planRelease(of root: APIKey, derived: DerivationTree, reason: String, actor: String, at now: Date) -> LifecyclePlan {
        var plan = LifecyclePlan()
        var seen: Set<KeyID> = []
        func visit(_ key: APIKey) {
            guard seen.insert(key.id).inserted else { return }
            if key.status == .quarantined {
                var k = key
                k.status = .active
                k.updatedAt = now
                plan.steps.append(.init(key: k, audit: AuditEntry(actor: actor, action: .keyReleased, target: k.id.description, details: ["reason": reason]),
                                        event: nil))
            }
            for child in derived.children[key.id] ?? [] { visit(child) }
        }
        visit(root)
        return plan
    }
}

/// What containment does with a matched key version, decided from the facts alone.
package struct ContainmentDecision: Sendable, Equatable {
    /// What the leaked version was at the match.
    package var classification: ExposureClassification
    /// nil: nothing the version gives is trusted any more; the exposure is recorded, no incident.
    package var action: ContainmentAction?
    /// The policy's action when the report carried no evidence of possession and no admin sent
    /// it: withheld (the incident says so), and `action` is `notify`.
    package var withheld: ContainmentAction?
    package init(classification: ExposureClassification, action: ContainmentAction?, withheld: ContainmentAction?) {
        self.classification = classification
        self.action = action
        self.withheld = withheld
    }
}

extension ContainmentPolicy {
    /// Containment needs evidence that the reporter held the secret (`mayContain`: a plaintext, a
    /// signed partner report, a valid possession proof, or an admin reporter); without it the
    /// owner is notified and nothing is revoked. A valid version gets the policy's action; an
    /// already quarantined key is still revoked when the policy says revoke.
    package func decide(key: APIKey, version: KeyVersion, source: String, mayContain: Bool, at now: Date) -> ContainmentDecision {
        let classification = ExposureClassification(key.state(of: version, at: now))
        let byPolicy = action(environment: key.environment, source: source)
        let policy = mayContain ? byPolicy : .notify
        let action: ContainmentAction?
        switch classification {
        case .valid: action = policy
        case .alreadyQuarantined where policy == .revoke: action = .revoke
        default: action = nil
        }
        return ContainmentDecision(classification: classification, action: action, withheld: mayContain ? nil : byPolicy)
    }
}
