import Foundation
import KeywardCore
import KeywardStore

extension Governance {
    /// Why a key may not be derived from `parentID` (nil: it may). A derived key is never
    /// broader or longer-lived than its parent, and its parent must be usable.
    func derivationRefusal(_ parentID: KeyID, identity: IdentityID, scopes: [Scope], environment: KeyEnvironment, expiresAt: Date?,
                           in tx: WriteTransaction) async throws -> KeywardError? {
        guard let parent = try await store.key(parentID, in: tx.db) else { return KeywardError(.validation, "derived_from: no such key") }
        guard parent.identityID == identity else {
            return KeywardError(.policyDenied, "a derived key belongs to its parent's identity", rule: "derivation.identity_mismatch")
        }
        guard parent.isUsable(at: tx.now) else {
            return KeywardError(.policyDenied, "the parent key is not live", rule: "derivation.parent_not_live")
        }
        guard parent.environment == environment else {
            return KeywardError(.policyDenied, "a derived key has its parent's environment", rule: "derivation.environment_mismatch")
        }
        guard Set(scopes).isSubset(of: Set(parent.scopes)) else {
            return KeywardError(.policyDenied, "a derived key's scopes must be within its parent's", rule: "derivation.scope_exceeds_parent")
        }
        if let parentExpiry = parent.current?.expiresAt, (expiresAt ?? .distantFuture) > parentExpiry {
            return KeywardError(.policyDenied, "a derived key may not outlive its parent", rule: "derivation.outlives_parent")
        }
        return nil
    }

    /// Revokes `key` (every version) inside `tx` and, transitively, every key derived from it
    /// (`KeyLifecycle.planRevocation`). Returns the ids revoked, root first.
    @discardableResult
    func revoke(_ key: inout APIKey, reason: String, actor: Principal, cascadeFrom: String? = nil, in tx: WriteTransaction) async throws -> [KeyID] {
        let plan = KeyLifecycle.planRevocation(of: key, derived: try await derivationTree(of: key, in: tx), reason: reason, actor: actor.name,
                                               cascadeFrom: cascadeFrom, at: tx.now)
        try await execute(plan, in: tx)
        if let root = plan.steps.first?.key, root.id == key.id { key = root }
        return plan.keyIDs
    }

    /// Quarantines an active key and, transitively, the keys derived from it. Returns the ids.
    @discardableResult
    func quarantine(_ key: inout APIKey, reason: String, actor: Principal, in tx: WriteTransaction) async throws -> [KeyID] {
        let plan = KeyLifecycle.planQuarantine(of: key, derived: try await derivationTree(of: key, in: tx), reason: reason, actor: actor.name, at: tx.now)
        try await execute(plan, in: tx)
        if let root = plan.steps.first?.key, root.id == key.id { key = root }
        return plan.keyIDs
    }

    /// Writes a plan's keys, audit records and webhook events, in its order.
    func execute(_ plan: LifecyclePlan, in tx: WriteTransaction) async throws {
        for step in plan.steps {
            try await store.updateKey(step.key, in: tx)
            tx.audit(step.audit)
            if let event = step.event { try await emit(event.type, event.data, in: tx) }
        }
    }

    /// `key` and every key derived from it, transitively: what a revocation of `key` revokes.
    func cascade(from key: APIKey, in tx: WriteTransaction) async throws -> Set<KeyID> {
        let tree = try await derivationTree(of: key, in: tx)
        return Set([key.id] + tree.children.values.flatMap { $0.map(\.id) })
    }

    /// Every key derived from `root`, transitively (each loaded once, whatever the links say).
    func derivationTree(of root: APIKey, in tx: WriteTransaction) async throws -> DerivationTree {
        var tree = DerivationTree()
        var seen: Set<KeyID> = [root.id]
        var frontier = [root]
        while let k = frontier.popLast() {
            let children = try await derivedKeys(of: k, in: tx)
            if !children.isEmpty { tree.children[k.id] = children }
            for child in children where seen.insert(child.id).inserted { frontier.append(child) }
        }
        return tree
    }

    /// Active, unexpired `keyward:admin` keys outside `excluding`.
    func usableAdminKeys(excluding: Set<KeyID>, in tx: WriteTransaction) async throws -> Int {
        var count = 0
        for kid in try await store.keyIDs(of: .keyward, in: tx.db) where !excluding.contains(kid) {
            if let k = try await store.key(kid, in: tx.db), k.scopes.contains(.admin), k.isUsable(at: tx.now) {
                count += 1
            }
        }
        return count
    }

    /// The keys minted directly from `parent` (what revoke and quarantine cascade to).
    private func derivedKeys(of parent: APIKey, in tx: WriteTransaction) async throws -> [APIKey] {
        var keys: [APIKey] = []
        for child in try await store.derived(from: .key(parent.id), in: tx.db) {
            if let id = child.keyID, let k = try await store.key(id, in: tx.db) { keys.append(k) }
        }
        return keys
    }
}
