import Foundation

/// What one key version is at an instant. Verify, the wire (`versions[].state`, a key's
/// `status`) and containment all ask `KeyLifecycle.state`, so they never disagree.
package enum KeyVersionState: String, Sendable, CaseIterable, Codable {
    /// The key's newest version, usable.
    case current
    /// Superseded by a rotation, still usable until its grace window closes.
    case grace
    /// Superseded, grace window closed.
    case rotated
    /// Past its own expiry.
    case expired
    /// Every version of a revoked key.
    case revoked
    /// A usable (current or in-grace) version of a quarantined key: verify admits only the
    /// quarantine scopes, and only when the caller names them.
    case quarantined

    /// Whether verify may accept the version without restriction.
    package var isUsable: Bool { self == .current || self == .grace }
}

package enum KeyLifecycle {
    /// The one rule. Order matters where two facts hold at once: revocation wins over
    /// everything; a superseded version past its grace answers `rotated` even if it has also
    /// expired (it was replaced first); expiry wins over quarantine (an expired key needs no
    /// containment).
    @inline(__always)
    package static func state(revoked: Bool, quarantined: Bool, isCurrent: Bool, expiresAt: Date?, graceUntil: Date?,
                              at now: Date) -> KeyVersionState {
        if revoked { return .revoked }
        if !isCurrent, (graceUntil ?? .distantPast) <= now { return .rotated }
        if let expiresAt, expiresAt <= now { return .expired }
        if quarantined { return .quarantined }
        return isCurrent ? .current : .grace
    }
}

extension APIKey {
    /// `version`'s state at `now` (see `KeyLifecycle.state`).
    package func state(of version: KeyVersion, at now: Date) -> KeyVersionState {
        KeyLifecycle.state(revoked: status == .revoked, quarantined: status == .quarantined, isCurrent: version.version == currentVersion,
                           expiresAt: version.expiresAt, graceUntil: version.graceUntil, at: now)
    }

    /// The key's status as a client sees it: its current version's state, with `current`
    /// shown as `active` (`revoked`, `expired`, `quarantined` or `active`).
    package func effectiveStatus(at now: Date) -> String {
        guard let current else { return status == .revoked ? "revoked" : "active" }
        let s = state(of: current, at: now)
        return s == .current ? "active" : s.rawValue
    }

    /// Whether verify accepts the current version with no restriction at `now`.
    package func isUsable(at now: Date) -> Bool {
        guard let current else { return false }
        return state(of: current, at: now) == .current
    }
}
