import Foundation
import KeywardCore

/// One live key of an identity, and what its observed use says about its scopes.
package struct KeyPrivilege: Sendable {
    package var key: APIKey
    package var review: ScopeReview
    /// Valid verifies inside the window.
    package var validUses: Int64
    /// The key it was derived from, if any (narrowing that one narrows this one too).
    package var derivedFrom: KeyID?
}

/// Least privilege for one identity over a window: each live key's granted, exercised and
/// unused scopes with a proposal where the evidence supports one, its OAuth clients (whose
/// scope use is not recorded), and the identity-level summary.
package struct IdentityPrivilege: Sendable {
    package var identity: Identity
    package var windowDays: Int
    package var windowStart: Date
    package var generatedAt: Date
    package var keys: [KeyPrivilege]
    /// Active OAuth clients: listed with basis `not_tracked`.
    package var clients: [OAuthClient]

    /// Scopes any live key holds.
    package var grantedUnion: [Scope] { Array(Set(keys.flatMap(\.key.scopes))).sorted() }
    /// Scopes any live key was observed to use inside the window.
    package var exercisedUnion: [Scope] { Array(Set(keys.flatMap { $0.review.exercised.map(\.scope) })).sorted() }
    /// Allowed scopes no live key was observed to use inside the window.
    package var allowedUnused: [Scope] {
        let used = Set(exercisedUnion)
        return identity.allowedScopes.filter { !used.contains($0) }.sorted()
    }
}

/// One key to narrow: to `scopes` when given (a subset of what it holds), else to its proposal.
package struct PrivilegeChange: Sendable {
    package var keyID: KeyID
    package var scopes: [String]?
    package init(keyID: KeyID, scopes: [String]? = nil) {
        self.keyID = keyID
        self.scopes = scopes
    }
}

/// What an apply did to one key.
package struct ScopeNarrowing: Sendable {
    package var keyID: KeyID
    package var before: [Scope]
    package var after: [Scope]
    /// `observed` (the proposal), `explicit` (the caller's subset) or `cascade` (a derived key
    /// narrowed with its parent).
    package var reason: String
    /// For a cascade: the key whose narrowing this follows.
    package var cascadeFrom: KeyID?
    package var changed: Bool { before != after }
}
