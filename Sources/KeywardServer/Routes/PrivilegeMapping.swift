import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

// Least privilege and dormant keys: wire ↔ domain.

extension ScopeUseDTO {
    init(_ o: ScopeObservation) { self.init(scope: o.scope.value, uses: o.uses, firstSeen: o.firstSeen, lastSeen: o.lastSeen) }
}

extension KeyPrivilegeResponse {
    init(_ p: KeyPrivilege, windowDays: Int) {
        let r = p.review
        self.init(keyId: p.key.id.description, name: p.key.name, status: p.key.status.rawValue, createdAt: p.key.createdAt, lastUsedAt: p.key.lastUsedAt,
                  derivedFrom: p.derivedFrom?.description, validUses: p.validUses, grantedScopes: r.granted.map(\.value),
                  exercisedScopes: r.exercised.map(ScopeUseDTO.init), unusedScopes: r.unused.map(\.value), unusedSeenBefore: r.seenBefore.map(ScopeUseDTO.init),
                  proposedScopes: r.proposed?.map(\.value), basis: r.basis.rawValue, narrows: r.narrows, note: Self.note(r, windowDays: windowDays))
    }

    static func note(_ r: ScopeReview, windowDays: Int) -> String {
        let days = windowDays == 1 ? "1 day" : "\(windowDays) days"
        return switch r.basis {
        case .observed where r.narrows:
            "valid verifies in the last \(days) named \(r.exercised.count) of its \(r.granted.count) scopes; the proposal keeps those"
        case .observed:
            "every scope it holds was named by a valid verify in the last \(days): nothing to remove"
        case .noScopeObservations:
            "it was used in the last \(days), but no verify named a scope: no evidence of what it needs, so no proposal (callers that pass required scopes to verify produce it)"
        case .dormant:
            "no valid use in the last \(days): dormant; retire it (keyward keys dormant) rather than narrow it"
        case .insufficientHistory:
            "issued less than \(days) ago: too little history for this window (ask for a window no longer than its age)"
        case .notTracked:
            "Keyward's own management keys are checked without recording use: not tracked"
        }
    }
}

extension IdentityPrivilegeResponse {
    static let clientNote = "not tracked: Verifier.record keeps usage by key id only, so a token verify leaves no (client, scope) count; no proposal until that is recorded"

    init(_ p: IdentityPrivilege) {
        let keys = p.keys.map { KeyPrivilegeResponse($0, windowDays: p.windowDays) }
        self.init(
            identityId: p.identity.id.description, windowDays: p.windowDays, windowStart: p.windowStart, generatedAt: p.generatedAt,
            summary: IdentityPrivilegeSummary(allowedScopes: p.identity.allowedScopes.map(\.value), grantedScopes: p.grantedUnion.map(\.value),
                                              exercisedScopes: p.exercisedUnion.map(\.value), unusedAllowedScopes: p.allowedUnused.map(\.value),
                                              keysToNarrow: p.keys.filter(\.review.narrows).count,
                                              dormantKeys: p.keys.filter { $0.review.basis == .dormant }.count),
            keys: keys,
            clients: p.clients.map {
                ClientPrivilegeResponse(clientId: $0.id.description, name: $0.name, grantedScopes: $0.scopes.map(\.value),
                                        basis: PrivilegeBasis.notTracked.rawValue, note: Self.clientNote)
            })
    }
}

extension ScopeChangeResponse {
    init(_ n: ScopeNarrowing) {
        self.init(keyId: n.keyID.description, scopesBefore: n.before.map(\.value), scopes: n.after.map(\.value),
                  removed: n.before.filter { !n.after.contains($0) }.map(\.value), reason: n.reason, cascadeFrom: n.cascadeFrom?.description,
                  changed: n.changed)
    }
}

extension PrivilegeChange {
    init(_ k: PrivilegeApplyKey) throws {
        guard let id = KeyID(k.keyId) else { throw KeywardError(.validation, "keys: key_id must be a key id (key_…)") }
        self.init(keyID: id, scopes: k.scopes)
    }
}

extension DormantKeyResponse {
    init(_ d: DormantKey, now: Date) {
        let since = d.key.lastUsedAt ?? d.key.createdAt
        self.init(id: d.key.id.description, name: d.key.name, identityId: d.key.identityID.description, identityName: d.identityName,
                  businessOwner: d.businessOwner, technicalOwner: d.technicalOwner, environment: d.key.environment.rawValue,
                  scopes: d.key.scopes.map(\.value), prefix: d.prefix, createdAt: d.key.createdAt, lastUsedAt: d.key.lastUsedAt,
                  expiresAt: d.expiresAt, idleDays: max(0, Int(now.timeIntervalSince(since) / 86_400)))
    }
}
