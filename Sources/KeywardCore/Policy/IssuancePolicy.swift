import Foundation

/// Issuance policy. Configuration with documented defaults:
/// - `maxLifetime[.live]` 90 days, `maxLifetime[.test]` 30 days;
/// - `defaultLifetime` 30 days (capped by the environment's maximum);
/// - non-expiring keys only with an explicit exception (`allowExceptions`, default true),
///   which needs a written reason and an admin caller, and is audited as `policy.exception`;
/// - `maxGrace` for rotation 7 days, `defaultGrace` 1 day; `maxGrace` is also the hard maximum a
///   grace window may be extended to for lagging consumers;
/// - `rotationQuietPeriod` 15 minutes: a rotation closes early once the old version has not been
///   presented for this long (see `RotationProgress`).
package struct IssuancePolicy: Sendable {
    package var maxLifetime: [KeyEnvironment: TimeInterval]
    package var defaultLifetime: TimeInterval
    package var allowExceptions: Bool
    package var defaultGrace: TimeInterval
    package var maxGrace: TimeInterval
    package var rotationQuietPeriod: TimeInterval

    package init(
        maxLifetime: [KeyEnvironment: TimeInterval] = [.live: 90 * 86_400, .test: 30 * 86_400],
        defaultLifetime: TimeInterval = 30 * 86_400,
        allowExceptions: Bool = true,
        defaultGrace: TimeInterval = 86_400,
        maxGrace: TimeInterval = 7 * 86_400,
        rotationQuietPeriod: TimeInterval = 900
    ) {
        self.rotationQuietPeriod = rotationQuietPeriod
        self.maxLifetime = maxLifetime
        self.defaultLifetime = defaultLifetime
        self.allowExceptions = allowExceptions
        self.defaultGrace = defaultGrace
        self.maxGrace = maxGrace
    }

    /// What a caller asked for.
    package struct Request: Sendable {
        package var scopes: [Scope]
        package var environment: KeyEnvironment
        /// nil: the default lifetime.
        package var lifetime: TimeInterval?
        package var nonExpiring: Bool
        package var exceptionReason: String?
        package init(scopes: [Scope], environment: KeyEnvironment, lifetime: TimeInterval?, nonExpiring: Bool, exceptionReason: String?) {
            self.scopes = scopes
            self.environment = environment
            self.lifetime = lifetime
            self.nonExpiring = nonExpiring
            self.exceptionReason = exceptionReason
        }
    }

    /// Decides a request against an identity. A value, not an error: the caller audits denials.
    package func decide(_ r: Request, for identity: Identity, now: Date) -> PolicyDecision {
        if identity.status != .active {
            return .deny(rule: "identity.decommissioned", message: "the identity is decommissioned")
        }
        if !identity.isBuiltIn {
            if (identity.technicalOwner ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                return .deny(rule: "identity.technical_owner_required", message: "the identity has no technical owner")
            }
            if (identity.purpose ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                return .deny(rule: "identity.purpose_required", message: "the identity has no purpose")
            }
        }
        if r.scopes.isEmpty {
            return .deny(rule: "scopes.required", message: "a key needs at least one scope")
        }
        // A refused scope is never echoed (it may be anything); the identity's own allowed scopes may be.
        if !identity.isBuiltIn, r.scopes.contains(where: \.isReserved) {
            return .deny(rule: "scopes.reserved_namespace", message: "a requested scope is in the keyward: namespace, reserved for Keyward's own management keys")
        }
        let allowed = Set(identity.allowedScopes)
        if r.scopes.contains(where: { !allowed.contains($0) }) {
            let list = identity.allowedScopes.map(\.value).sorted().joined(separator: ", ")
            return .deny(rule: "scopes.outside_allowed", message: "a requested scope is not in the identity's allowed scopes (\(list.isEmpty ? "none" : list))")
        }
        let maxLife = maxLifetime[r.environment] ?? defaultLifetime
        if r.nonExpiring {
            guard allowExceptions else {
                return .deny(rule: "lifetime.non_expiring_forbidden", message: "non-expiring keys are disabled by policy")
            }
            guard let reason = r.exceptionReason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                return .deny(rule: "lifetime.non_expiring_requires_exception", message: "a non-expiring key needs policy_exception_reason")
            }
            return .allowWithException(expiresAt: nil, exception: reason)
        }
        let life = r.lifetime ?? min(defaultLifetime, maxLife)
        if life <= 0 {
            return .deny(rule: "lifetime.not_positive", message: "the lifetime must be in the future")
        }
        if life > maxLife {
            return .deny(rule: "lifetime.exceeds_maximum",
                         message: "a lifetime of \(Lifetime.describe(life)) exceeds the maximum for \(r.environment.rawValue) keys, \(Lifetime.describe(maxLife))")
        }
        return .allow(expiresAt: now.addingTimeInterval(life))
    }
}

package enum PolicyDecision: Sendable, Equatable {
    case allow(expiresAt: Date)
    case allowWithException(expiresAt: Date?, exception: String)
    case deny(rule: String, message: String)
}

/// Lifetimes in the units people set them in: `90 days`, `12 hours`, `1 day 6 hours`, `45 seconds`.
package enum Lifetime {
    package static func describe(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        func unit(_ n: Int, _ name: String) -> String { "\(n) \(name)\(n == 1 ? "" : "s")" }
        let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60)
        if s >= 86_400 { return h == 0 ? unit(d, "day") : unit(d, "day") + " " + unit(h, "hour") }
        if s >= 3_600 { return m == 0 ? unit(h, "hour") : unit(h, "hour") + " " + unit(m, "minute") }
        if s >= 60, s % 60 == 0 { return unit(m, "minute") }
        return unit(s, "second")
    }
}
