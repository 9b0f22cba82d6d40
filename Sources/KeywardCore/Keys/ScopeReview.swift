import Foundation

/// One scope a key's valid verifies named, as the usage telemetry keeps it: `uses` counts every
/// such verify since `firstSeen` (the store keeps one running count per key and scope, not one
/// per window), `lastSeen` says whether it falls inside a window.
package struct ScopeObservation: Sendable, Equatable {
    package var scope: Scope
    package var uses: Int64
    package var firstSeen: Date
    package var lastSeen: Date
    package init(scope: Scope, uses: Int64, firstSeen: Date, lastSeen: Date) {
        self.scope = scope
        self.uses = uses
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// Why a review proposes what it does (or nothing). Only `.observed` carries a proposal.
package enum PrivilegeBasis: String, Sendable, CaseIterable {
    /// Valid verifies in the window named scopes: the proposal is the granted scopes they named.
    case observed
    /// Valid verifies in the window named no scope at all: no evidence of which scopes the
    /// caller needs, so no proposal (never "remove everything" from a key in use).
    case noScopeObservations = "no_scope_observations"
    /// No valid use in the window: a dormant credential (retire it), not one that needs zero scopes.
    case dormant
    /// Issued inside the window: its history is shorter than the window asked for.
    case insufficientHistory = "insufficient_history"
    /// Its use is not recorded per scope (OAuth clients; Keyward's own management keys).
    case notTracked = "not_tracked"
}

/// What a key's observed use says about the scopes it holds, over one window. Pure: the
/// governance layer feeds it the store's telemetry.
package struct ScopeReview: Sendable, Equatable {
    package var granted: [Scope]
    /// Granted scopes named by a valid verify inside the window.
    package var exercised: [ScopeObservation]
    /// Granted scopes no valid verify named inside the window.
    package var unused: [Scope]
    /// For unused scopes seen before the window: their last observation.
    package var seenBefore: [ScopeObservation]
    /// The minimal set the evidence supports; nil when there is no proposal (see `basis`).
    package var proposed: [Scope]?
    package var basis: PrivilegeBasis

    /// Whether applying the proposal would remove anything.
    package var narrows: Bool { proposed.map { $0.count < granted.count } ?? false }

    /// - Parameters:
    ///   - validUses: valid verifies of the key inside the window (hourly telemetry).
    ///   - tracked: false when the key's use is not recorded at all (management keys).
    package static func review(granted: [Scope], createdAt: Date, lastUsedAt: Date?, validUses: Int64, observations: [ScopeObservation],
                               windowStart: Date, tracked: Bool = true) -> ScopeReview {
        let held = Set(granted)
        let mine = observations.filter { held.contains($0.scope) }.sorted { $0.scope < $1.scope }
        let exercised = mine.filter { $0.lastSeen >= windowStart }
        let exercisedSet = Set(exercised.map(\.scope))
        let unused = granted.filter { !exercisedSet.contains($0) }.sorted()
        let seenBefore = mine.filter { $0.lastSeen < windowStart }
        var r = ScopeReview(granted: granted.sorted(), exercised: exercised, unused: unused, seenBefore: seenBefore, proposed: nil, basis: .observed)
        let usedInWindow = validUses > 0 || !exercised.isEmpty || (lastUsedAt.map { $0 >= windowStart } ?? false)
        if !tracked {
            r.basis = .notTracked
        } else if createdAt > windowStart {
            r.basis = .insufficientHistory
        } else if !usedInWindow {
            r.basis = .dormant
        } else if exercised.isEmpty {
            r.basis = .noScopeObservations
        } else {
            r.proposed = exercised.map(\.scope)
        }
        return r
    }
}
