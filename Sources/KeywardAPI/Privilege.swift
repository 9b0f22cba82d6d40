import Foundation

/// A scope valid verifies named: `uses` counts them since `first_seen` (a running total; the
/// store keeps no per-window count), `last_seen` places the latest.
package struct ScopeUseDTO: Codable, Sendable, Equatable {
    package var scope: String
    package var uses: Int64
    package var firstSeen: Date
    package var lastSeen: Date
    package init(scope: String, uses: Int64, firstSeen: Date, lastSeen: Date) {
        self.scope = scope
        self.uses = uses
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// One live key in `GET /v1/identities/{id}/privilege`.
package struct KeyPrivilegeResponse: Codable, Sendable {
    package var keyId: String
    package var name: String?
    package var status: String
    package var createdAt: Date
    package var lastUsedAt: Date?
    package var derivedFrom: String?
    /// Valid verifies inside the window.
    package var validUses: Int64
    package var grantedScopes: [String]
    package var exercisedScopes: [ScopeUseDTO]
    package var unusedScopes: [String]
    /// Unused scopes that were named before the window, with their last use.
    package var unusedSeenBefore: [ScopeUseDTO]
    /// nil: no proposal (see `basis`).
    package var proposedScopes: [String]?
    /// observed, no_scope_observations, dormant, insufficient_history or not_tracked.
    package var basis: String
    /// Whether applying the proposal removes a scope.
    package var narrows: Bool
    package var note: String
    package init(keyId: String, name: String?, status: String, createdAt: Date, lastUsedAt: Date?, derivedFrom: String?, validUses: Int64,
                 grantedScopes: [String], exercisedScopes: [ScopeUseDTO], unusedScopes: [String], unusedSeenBefore: [ScopeUseDTO],
                 proposedScopes: [String]?, basis: String, narrows: Bool, note: String) {
        self.keyId = keyId
        self.name = name
        self.status = status
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.derivedFrom = derivedFrom
        self.validUses = validUses
        self.grantedScopes = grantedScopes
        self.exercisedScopes = exercisedScopes
        self.unusedScopes = unusedScopes
        self.unusedSeenBefore = unusedSeenBefore
        self.proposedScopes = proposedScopes
        self.basis = basis
        self.narrows = narrows
        self.note = note
    }
}

/// An active OAuth client of the identity: its scope use is not recorded (`basis: not_tracked`).
package struct ClientPrivilegeResponse: Codable, Sendable {
    package var clientId: String
    package var name: String?
    package var grantedScopes: [String]
    package var basis: String
    package var note: String
    package init(clientId: String, name: String?, grantedScopes: [String], basis: String, note: String) {
        self.clientId = clientId
        self.name = name
        self.grantedScopes = grantedScopes
        self.basis = basis
        self.note = note
    }
}

/// The identity's allowed scopes against what its live keys hold and were observed to use.
package struct IdentityPrivilegeSummary: Codable, Sendable {
    package var allowedScopes: [String]
    package var grantedScopes: [String]
    package var exercisedScopes: [String]
    package var unusedAllowedScopes: [String]
    /// Keys with a proposal that removes a scope.
    package var keysToNarrow: Int
    package var dormantKeys: Int
    package init(allowedScopes: [String], grantedScopes: [String], exercisedScopes: [String], unusedAllowedScopes: [String], keysToNarrow: Int, dormantKeys: Int) {
        self.allowedScopes = allowedScopes
        self.grantedScopes = grantedScopes
        self.exercisedScopes = exercisedScopes
        self.unusedAllowedScopes = unusedAllowedScopes
        self.keysToNarrow = keysToNarrow
        self.dormantKeys = dormantKeys
    }
}

/// `GET /v1/identities/{id}/privilege?window_days=N`.
package struct IdentityPrivilegeResponse: Codable, Sendable {
    package var identityId: String
    package var windowDays: Int
    package var windowStart: Date
    package var generatedAt: Date
    package var summary: IdentityPrivilegeSummary
    package var keys: [KeyPrivilegeResponse]
    package var clients: [ClientPrivilegeResponse]
    package init(identityId: String, windowDays: Int, windowStart: Date, generatedAt: Date, summary: IdentityPrivilegeSummary,
                 keys: [KeyPrivilegeResponse], clients: [ClientPrivilegeResponse]) {
        self.identityId = identityId
        self.windowDays = windowDays
        self.windowStart = windowStart
        self.generatedAt = generatedAt
        self.summary = summary
        self.keys = keys
        self.clients = clients
    }
}

/// One key to narrow: to `scopes` when given (a subset of what it holds), else to its proposal.
package struct PrivilegeApplyKey: Codable, Sendable {
    package var keyId: String
    package var scopes: [String]?
    package init(keyId: String, scopes: [String]? = nil) {
        self.keyId = keyId
        self.scopes = scopes
    }
}

/// `POST /v1/identities/{id}/privilege/apply`.
package struct PrivilegeApplyRequest: Codable, Sendable {
    /// The window the proposals are computed over (default 30).
    package var windowDays: Int?
    package var keys: [PrivilegeApplyKey]
    package init(windowDays: Int? = nil, keys: [PrivilegeApplyKey]) {
        self.windowDays = windowDays
        self.keys = keys
    }
}

/// What an apply did to one key (a derived key narrowed with its parent has `cascade_from`).
package struct ScopeChangeResponse: Codable, Sendable {
    package var keyId: String
    package var scopesBefore: [String]
    package var scopes: [String]
    package var removed: [String]
    /// observed, explicit or cascade.
    package var reason: String
    package var cascadeFrom: String?
    package var changed: Bool
    package init(keyId: String, scopesBefore: [String], scopes: [String], removed: [String], reason: String, cascadeFrom: String?, changed: Bool) {
        self.keyId = keyId
        self.scopesBefore = scopesBefore
        self.scopes = scopes
        self.removed = removed
        self.reason = reason
        self.cascadeFrom = cascadeFrom
        self.changed = changed
    }
}

package struct PrivilegeApplyResponse: Codable, Sendable {
    package var identityId: String
    package var windowDays: Int
    package var changes: [ScopeChangeResponse]
    package init(identityId: String, windowDays: Int, changes: [ScopeChangeResponse]) {
        self.identityId = identityId
        self.windowDays = windowDays
        self.changes = changes
    }
}

/// One item of `GET /v1/keys/dormant?days=N`.
package struct DormantKeyResponse: Codable, Sendable {
    package var id: String
    package var name: String?
    package var identityId: String
    package var identityName: String
    package var businessOwner: String?
    package var technicalOwner: String?
    package var environment: String
    package var scopes: [String]
    package var prefix: String
    package var createdAt: Date
    /// nil: never used.
    package var lastUsedAt: Date?
    package var expiresAt: Date?
    /// Whole days since its last valid use (or since its creation, never used).
    package var idleDays: Int
    package init(id: String, name: String?, identityId: String, identityName: String, businessOwner: String?, technicalOwner: String?,
                 environment: String, scopes: [String], prefix: String, createdAt: Date, lastUsedAt: Date?, expiresAt: Date?, idleDays: Int) {
        self.id = id
        self.name = name
        self.identityId = identityId
        self.identityName = identityName
        self.businessOwner = businessOwner
        self.technicalOwner = technicalOwner
        self.environment = environment
        self.scopes = scopes
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.idleDays = idleDays
    }
}
