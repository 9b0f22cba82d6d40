import Foundation
import KeywardCore
import KeywardStore

/// Least privilege from observed use (issue 15): what each live key of an identity exercised
/// over a window, the narrowing it supports, and applying it as one audited change.
extension Governance {
    package static let privilegeWindowDays = 1...365

    /// The review of `id` over the last `windowDays` days (`GET /v1/identities/{id}/privilege`).
    package func privilege(of id: IdentityID, windowDays: Int) async throws -> IdentityPrivilege {
        guard Self.privilegeWindowDays.contains(windowDays) else { throw KeywardError(.validation, "window_days must be from 1 to 365") }
        return try await store.read { db in
            guard let identity = try await self.store.identity(id, in: db) else { throw KeywardError.notFound("identity") }
            let now = self.store.clock.now()
            let start = now.addingTimeInterval(-TimeInterval(windowDays) * 86_400)
            var keys: [KeyPrivilege] = []
            for kid in try await self.store.keyIDs(of: id, in: db) {
                guard let key = try await self.store.key(kid, in: db), Self.isLive(key, at: now) else { continue }
                keys.append(Self.review(key, try await self.store.scopeEvidence(of: kid, since: start, in: db), windowStart: start))
            }
            let clients = try await self.store.clients(of: id, in: db).filter { $0.status == .active }
            return IdentityPrivilege(identity: identity, windowDays: windowDays, windowStart: start, generatedAt: now, keys: keys, clients: clients)
        }
    }

    /// Narrows the scopes of the keys in `changes` (each to its proposal over the window, or to
    /// the subset given) in one write transaction: never a widening, never to no scope at all.
    /// A key derived from a narrowed key is narrowed with it (its scopes ∩ its parent's new
    /// scopes), since a derived key may never hold more than its parent; when that would leave
    /// a derived key no scope, the whole apply is refused (revoke that key instead). Each change
    /// is audited as `key.scopes_narrowed` and announced by the webhook of the same name; the
    /// change feed updates the verify index, which then refuses a removed scope.
    package func applyPrivilege(to id: IdentityID, _ changes: [PrivilegeChange], windowDays: Int, actor: Principal) async throws -> [ScopeNarrowing] {
        guard actor.isAdmin else { throw KeywardError(.forbidden, "only an admin may narrow a key's scopes") }
        guard Self.privilegeWindowDays.contains(windowDays) else { throw KeywardError(.validation, "window_days must be from 1 to 365") }
        guard !changes.isEmpty, changes.count <= 500 else { throw KeywardError(.validation, "keys: from 1 to 500 keys") }
        guard Set(changes.map(\.keyID)).count == changes.count else { throw KeywardError(.validation, "keys: each key at most once") }
        if id == .keyward {
            throw KeywardError(.conflict, "the built-in keyward identity's keys are not narrowed from observation: their management use is not recorded")
        }
        let requested = try changes.map { c in try c.scopes.map { try Validate.scopes($0, field: "scopes", allowReserved: false) } }
        return try await store.write { tx in
            guard let identity = try await self.store.identity(id, in: tx.db) else { throw KeywardError.notFound("identity") }
            guard identity.status == .active else { throw KeywardError(.conflict, "the identity is decommissioned") }
            let start = tx.now.addingTimeInterval(-TimeInterval(windowDays) * 86_400)
            var done: [ScopeNarrowing] = []
            for (change, wanted) in zip(changes, requested) {
                guard let key = try await self.store.key(change.keyID, in: tx.db), key.identityID == id else {
                    throw KeywardError(.validation, "keys: \(change.keyID) is not a key of this identity")
                }
                guard Self.isLive(key, at: tx.now) else { throw KeywardError(.conflict, "key \(key.id) is revoked or expired") }
                let p = Self.review(key, try await self.store.scopeEvidence(of: key.id, since: start, in: tx.db), windowStart: start)
                let target: [Scope]
                if let wanted {
                    guard !wanted.isEmpty else { throw KeywardError(.validation, "scopes for \(key.id): at least one scope (to take every scope away, revoke the key)") }
                    let extra = Set(wanted).subtracting(key.scopes)
                    guard extra.isEmpty else {
                        throw KeywardError(.policyDenied, "scopes for \(key.id) must be a subset of what it holds; not held: \(extra.map(\.value).sorted().joined(separator: " "))",
                                           rule: "privilege.no_widening")
                    }
                    target = wanted
                } else {
                    guard let proposed = p.review.proposed else {
                        throw KeywardError(.conflict, "key \(key.id) has no proposal (basis \(p.review.basis.rawValue)): give its scopes explicitly, or leave it out")
                    }
                    target = proposed
                }
                let reason = wanted == nil ? PrivilegeBasis.observed.rawValue : "explicit"
                done.append(try await self.narrow(key, to: target, reason: reason, review: p, windowDays: windowDays, cascadeFrom: nil, actor: actor, in: tx))
                done += try await self.narrowDerived(of: key.id, within: target, windowDays: windowDays, actor: actor, in: tx)
            }
            return done
        }
    }

    /// Active keys unused for `days` days (never used: since creation), Keyward's own excepted.
    package func dormantKeys(days: Int, identity: IdentityID?, limit: Int, after cursor: String?) async throws -> Page<DormantKey> {
        guard (1...3650).contains(days) else { throw KeywardError(.validation, "days must be from 1 to 3650") }
        let now = store.clock.now()
        return try await store.dormantKeys(cutoff: now.addingTimeInterval(-TimeInterval(days) * 86_400), now: now, identity: identity,
                                           excluding: .keyward, limit: limit, after: cursor)
    }

    /// Not revoked, and its current version neither expired nor rotated away.
    static func isLive(_ key: APIKey, at now: Date) -> Bool {
        guard let cur = key.current else { return false }
        let state = key.state(of: cur, at: now)
        return state == .current || state == .quarantined
    }

    private static func review(_ key: APIKey, _ e: ScopeEvidence, windowStart: Date) -> KeyPrivilege {
        let review = ScopeReview.review(granted: key.scopes, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt, validUses: e.validUses,
                                        observations: e.observations, windowStart: windowStart, tracked: key.identityID != .keyward)
        return KeyPrivilege(key: key, review: review, validUses: e.validUses, derivedFrom: e.derivedFrom)
    }

    private func narrow(_ key: APIKey, to target: [Scope], reason: String, review: KeyPrivilege?, windowDays: Int, cascadeFrom: KeyID?,
                        actor: Principal, in tx: WriteTransaction) async throws -> ScopeNarrowing {
        var key = key
        let before = key.scopes.sorted(), after = target.sorted()
        let result = ScopeNarrowing(keyID: key.id, before: before, after: after, reason: reason, cascadeFrom: cascadeFrom)
        guard result.changed else { return result }
        key.scopes = after
        key.updatedAt = tx.now
        try await store.updateKeyScopes(key, in: tx)
        let removed = before.filter { !after.contains($0) }.map(\.value).joined(separator: " ")
        var details = ["identity_id": key.identityID.description, "scopes_before": before.map(\.value).joined(separator: " "),
                       "scopes": after.map(\.value).joined(separator: " "), "removed": removed, "reason": reason, "window_days": String(windowDays)]
        if let review {
            details["basis"] = review.review.basis.rawValue
            details["valid_uses"] = String(review.validUses)
            details["evidence"] = review.review.exercised.map { "\($0.scope.value)=\($0.uses)@\($0.lastSeen.unixMillis)" }.joined(separator: " ")
        }
        if let cascadeFrom { details["cascade_from"] = cascadeFrom.description }
        tx.audit(AuditEntry(actor: actor.name, action: .keyScopesNarrowed, target: key.id.description, details: details))
        try await emit(.keyScopesNarrowed, ["key_id": key.id.description, "identity_id": key.identityID.description,
                                            "scopes": details["scopes"]!, "removed": removed], in: tx)
        return result
    }

    /// Narrows every live key derived (transitively) from `root` to what its parent now holds.
    private func narrowDerived(of root: KeyID, within scopes: [Scope], windowDays: Int, actor: Principal, in tx: WriteTransaction) async throws -> [ScopeNarrowing] {
        var out: [ScopeNarrowing] = []
        var frontier: [(parent: KeyID, allowed: Set<Scope>)] = [(root, Set(scopes))]
        var seen: Set<KeyID> = [root]
        while let (parent, allowed) = frontier.popLast() {
            for ref in try await store.derived(from: .key(parent), in: tx.db) {
                guard let cid = ref.keyID, seen.insert(cid).inserted, let child = try await store.key(cid, in: tx.db), Self.isLive(child, at: tx.now) else { continue }
                let kept = child.scopes.filter { allowed.contains($0) }
                guard !kept.isEmpty else {
                    throw KeywardError(.conflict, "key \(cid), derived from \(parent), would keep no scope: revoke it first, or keep a scope it holds")
                }
                let n = try await narrow(child, to: kept, reason: "cascade", review: nil, windowDays: windowDays, cascadeFrom: parent, actor: actor, in: tx)
                if n.changed { out.append(n) }
                frontier.append((cid, Set(kept)))
            }
        }
        return out
    }
}
