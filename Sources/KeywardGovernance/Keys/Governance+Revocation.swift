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
        guard parent.status == .active, (parent.current?.expiresAt ?? .distantFuture) > tx.now else {
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

    /// Revokes `key` (every version) inside `tx` and, recursively, every credential derived
    /// from it. Audited per key; a `key.revoked` webhook per key. Returns the ids revoked.
    @discardableResult
    func revoke(_ key: inout APIKey, reason: String, actor: Principal, cascadeFrom: String?, in tx: WriteTransaction) async throws -> [String] {
        guard key.status != .revoked else { return [] }
        key.status = .revoked
        key.revokedAt = tx.now
        key.revokeReason = reason
        key.updatedAt = tx.now
        try await store.updateKey(key, in: tx)
        var details = ["reason": reason, "versions": String(key.versions.count)]
        if let cascadeFrom { details["cascade_from"] = cascadeFrom }
        tx.audit(AuditEntry(actor: actor.name, action: "key.revoked", target: key.id.description, details: details))
        try await emit("key.revoked", ["key_id": key.id.description, "identity_id": key.identityID.description, "reason": reason], in: tx)
        var revoked = [key.id.description]
        for var child in try await derivedKeys(of: key, in: tx) {
            revoked += try await revoke(&child, reason: "derived from \(key.id) (\(reason))", actor: actor, cascadeFrom: key.id.description, in: tx)
        }
        return revoked
    }

    /// Quarantines an active key and, recursively, the keys derived from it. Returns the ids.
    @discardableResult
    func quarantine(_ key: inout APIKey, reason: String, actor: Principal, cascadeFrom: String?, in tx: WriteTransaction) async throws -> [String] {
        guard key.status == .active else { return [] }
        key.status = .quarantined
        key.updatedAt = tx.now
        try await store.updateKey(key, in: tx)
        var details = ["reason": reason]
        if let cascadeFrom { details["cascade_from"] = cascadeFrom }
        tx.audit(AuditEntry(actor: actor.name, action: "key.quarantined", target: key.id.description, details: details))
        var done = [key.id.description]
        for var child in try await derivedKeys(of: key, in: tx) {
            done += try await quarantine(&child, reason: "derived from \(key.id) (\(reason))", actor: actor, cascadeFrom: key.id.description, in: tx)
        }
        return done
    }

    /// `key` and every key derived from it, transitively: what a revocation of `key` revokes.
    func cascade(from key: APIKey, in tx: WriteTransaction) async throws -> Set<KeyID> {
        var doomed: Set<KeyID> = [key.id]
        var frontier = [key]
        while let k = frontier.popLast() {
            for child in try await derivedKeys(of: k, in: tx) where doomed.insert(child.id).inserted { frontier.append(child) }
        }
        return doomed
    }

    /// Active, unexpired `keyward:admin` keys outside `excluding`.
    func usableAdminKeys(excluding: Set<KeyID>, in tx: WriteTransaction) async throws -> Int {
        var count = 0
        for kid in try await store.keyIDs(of: .keyward, in: tx.db) where !excluding.contains(kid) {
            if let k = try await store.key(kid, in: tx.db), k.status == .active, k.scopes.contains(.admin),
               (k.current?.expiresAt ?? .distantFuture) > tx.now {
                count += 1
            }
        }
        return count
    }

    /// The keys minted directly from `parent` (what revoke and quarantine cascade to).
    private func derivedKeys(of parent: APIKey, in tx: WriteTransaction) async throws -> [APIKey] {
        var keys: [APIKey] = []
        for child in try await store.derived(from: parent.id.description, in: tx.db) where child.kind == "key" {
            if let id = KeyID(child.id), let k = try await store.key(id, in: tx.db) { keys.append(k) }
        }
        return keys
    }
}
