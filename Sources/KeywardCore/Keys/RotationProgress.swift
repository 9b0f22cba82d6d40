import Foundation

/// How one consumer of a rotated key has used the old and the new version, as flushed
/// telemetry shows it. `id` is a consumer id (`csm_…`) for a declared consumer, a telemetry
/// source id for an observed one.
package struct RotationConsumer: Sendable, Equatable {
    package enum Kind: String, Sendable, Codable {
        /// Declared (`/v1/consumers`), holding the key and recognised by its `sources`.
        case declared
        /// A distinct telemetry source (address, user agent, certificate) no declared consumer matches.
        case observed
    }

    package var id: String
    package var name: String
    package var kind: Kind
    /// The old version's last use, at any time (before the rotation too).
    package var lastOld: Date?
    /// The new version's last use.
    package var lastNew: Date?

    package init(id: String, name: String, kind: Kind, lastOld: Date?, lastNew: Date?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.lastOld = lastOld
        self.lastNew = lastNew
    }
}

/// Where one consumer stands in a rotation.
package enum MigrationStatus: String, Sendable, Codable, CaseIterable {
    /// Presented the old version since the rotation, within the quiet period.
    case lagging
    /// Presented the new version last, and the old one not within the quiet period.
    case migrated
    /// Used the old version (perhaps before the rotation), not since within the quiet period,
    /// and has not presented the new one yet. A declared consumer in this state keeps the
    /// window from closing early: it holds the key and has not shown it switched.
    case pending
    /// Never seen with either version (a declared consumer with no traffic, or none recognised).
    case unseen
}

/// Why a rotation's grace window closed.
package enum RotationCloseReason: String, Sendable, Codable, CaseIterable {
    /// Old-version traffic was zero for the quiet period and no declared consumer is pending:
    /// closed early.
    case migrated
    /// The window ended on its own (no declared consumer lagging).
    case graceEnded = "grace_ended"
    /// The window reached the hard maximum while a declared consumer still lagged.
    case hardMaximum = "hard_maximum"
    /// The key was revoked (every version stopped at once).
    case revoked
}

/// What a rotation watcher does now.
package enum RotationDecision: Sendable, Equatable {
    /// Nothing yet.
    case wait
    /// Close the window: for `.migrated` the old version's grace ends now; otherwise it has
    /// already ended. `lagging` names the declared consumers still using the old version.
    case close(RotationCloseReason, lagging: [RotationConsumer])
    /// Move the grace window's end to `to` (never past the hard maximum) for `lagging`.
    case extend(to: Date, lagging: [RotationConsumer])
}

/// One rotation's progress: a pure value decided at an instant (the `RotationWatcher` reads the
/// inputs from the store and acts on the decision).
///
/// The rules, at `now`:
/// - once `graceUntil` has passed, the window is closed (`hard_maximum` when a declared
///   consumer still lags and the window reached the hard maximum, else `grace_ended`);
/// - while a declared consumer lags and the window would close within one quiet period, it is
///   extended to `now + 2 × quietPeriod`, capped at the hard maximum (at most one extension
///   per quiet period, so a lagging consumer yields a few events, not one per tick);
/// - it closes early (`migrated`) once no old-version use was seen for a whole quiet period
///   after the rotation (every consumer, declared, observed or unidentified, is in `consumers`)
///   and no declared consumer is `pending`. With no traffic at all it closes one quiet period
///   after the rotation, unless a declared consumer that used the key has not shown the new
///   version: a declared consumer is the owner saying "this one holds it".
package struct RotationProgress: Sendable, Equatable {
    package var rotatedAt: Date
    /// The old version's grace end as it stands (extensions move it).
    package var graceUntil: Date
    package var quietPeriod: TimeInterval
    /// The latest the window may be extended to (the rotation time plus the maximum grace).
    package var hardMaximum: Date
    package var consumers: [RotationConsumer]

    package init(rotatedAt: Date, graceUntil: Date, quietPeriod: TimeInterval, hardMaximum: Date, consumers: [RotationConsumer]) {
        self.rotatedAt = rotatedAt
        self.graceUntil = graceUntil
        self.quietPeriod = quietPeriod
        self.hardMaximum = hardMaximum
        self.consumers = consumers
    }

    package func status(of c: RotationConsumer, at now: Date) -> MigrationStatus {
        if let old = c.lastOld, old >= rotatedAt, now.timeIntervalSince(old) < quietPeriod { return .lagging }
        if Self.switched(c) { return .migrated }
        return c.lastOld == nil ? .unseen : .pending
    }

    /// Its latest use was of the new version (a consumer that went back to the old one after
    /// presenting the new has not switched).
    static func switched(_ c: RotationConsumer) -> Bool {
        guard let new = c.lastNew else { return false }
        return new >= (c.lastOld ?? .distantPast)
    }

    /// The instant old-version traffic went quiet: the rotation, or the last old-version use after it.
    package var quietSince: Date {
        consumers.compactMap(\.lastOld).filter { $0 >= rotatedAt }.max() ?? rotatedAt
    }

    /// When the window closes early if nothing else is seen on the old version (nil: a declared
    /// consumer is pending, so only the window's own end closes it).
    package func closesIfQuietAt(now: Date) -> Date? {
        // Once quiet, a declared consumer that used the old version and has not switched is pending.
        let blocked = consumers.contains { $0.kind == .declared && $0.lastOld != nil && !Self.switched($0) }
        return blocked ? nil : quietSince.addingTimeInterval(quietPeriod)
    }

    package func decide(at now: Date) -> RotationDecision {
        let lagging = consumers.filter { $0.kind == .declared && status(of: $0, at: now) == .lagging }
        if now >= graceUntil {
            return .close(!lagging.isEmpty && graceUntil >= hardMaximum ? .hardMaximum : .graceEnded, lagging: lagging)
        }
        if !lagging.isEmpty {
            guard graceUntil < hardMaximum, graceUntil < now.addingTimeInterval(quietPeriod) else { return .wait }
            return .extend(to: min(hardMaximum, now.addingTimeInterval(2 * quietPeriod)), lagging: lagging)
        }
        if let at = closesIfQuietAt(now: now), now >= at { return .close(.migrated, lagging: []) }
        return .wait
    }
}
