import Foundation
import KeywardCore
import KeywardStore
import Logging
import ServiceLifecycle

/// Acts on open rotations (issue 15): closes a window early once the old version has gone
/// quiet, extends it for lagging declared consumers up to the hard maximum, and records how
/// each one ended. `tick(now:)` does one pass; the service calls it every `interval`, tests
/// call it directly on a manual clock.
///
/// Every decision reads flushed telemetry only, so a pass that finds an open rotation first
/// awaits `flushUsage` (the runtime's usage flusher): without it, uses still in the recorder's
/// memory would be invisible and a window could close under a consumer that used the old
/// version a moment ago. On other nodes of a cluster their own flusher's interval bounds that
/// delay. A pass with no open rotation flushes nothing: the flusher's own timer writes usage,
/// paced, and an extra whole flush every 30 s showed in verify's p99.
package struct RotationWatcher: Service {
    let governance: Governance
    let interval: Duration
    let flushUsage: @Sendable () async -> Void
    let logger: Logger

    package init(governance: Governance, interval: Duration = .seconds(30), logger: Logger, flushUsage: @escaping @Sendable () async -> Void) {
        self.governance = governance
        self.interval = interval
        self.flushUsage = flushUsage
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do { _ = try await tick() } catch {
                logger.warning("rotation watch failed; will retry", metadata: ["error": "\(String(describing: error).prefix(200))"])
            }
        }
    }

    /// Flushes usage when a rotation is open, then decides every open rotation at `now`
    /// (default: the store's clock) and returns what it did, one entry per rotation that changed.
    @discardableResult
    package func tick(now: Date? = nil) async throws -> [RotationAction] {
        guard try await governance.store.hasOpenRotations() else { return [] }
        await flushUsage()
        return try await governance.watchRotations(now: now)
    }
}

/// What one watcher pass did to one rotation.
package struct RotationAction: Sendable, Equatable {
    package var keyID: KeyID
    package var version: Int
    package var decision: RotationDecision
    package init(keyID: KeyID, version: Int, decision: RotationDecision) {
        self.keyID = keyID
        self.version = version
        self.decision = decision
    }
}

extension Governance {
    /// One pass over open rotations (see `RotationWatcher`): each decided and acted on in its
    /// own write transaction, audited, and announced (`key.rotation_lagging`, `key.rotation_closed`).
    package func watchRotations(now: Date? = nil, limit: Int = 500) async throws -> [RotationAction] {
        var done: [RotationAction] = []
        for open in try await store.openRotations(limit: limit) {
            if let action = try await watch(open, now: now) { done.append(action) }
        }
        return done
    }

    private func watch(_ open: KeyRotationRecord, now: Date?) async throws -> RotationAction? {
        try await store.write { tx in
            let at = now ?? tx.now
            // Re-read in the transaction: another node may have acted on it since the list was read.
            guard var rotation = try await self.store.rotation(of: open.keyID, from: open.fromVersion, in: tx.db), rotation.closedAt == nil else { return nil }
            guard var key = try await self.store.key(open.keyID, in: tx.db), key.status != .revoked else {
                // Revocation stopped every version (and was audited as such): nothing left to watch.
                rotation.closedAt = at
                rotation.closeReason = .revoked
                try await self.store.updateRotation(rotation, in: tx)
                return RotationAction(keyID: open.keyID, version: open.fromVersion, decision: .close(.revoked, lagging: []))
            }
            let (progress, _) = try await self.progress(of: key, rotation, at: at, in: tx.db)
            let decision = progress.decide(at: at)
            let version = rotation.fromVersion
            let lagging: [RotationConsumer]
            var graceUntil = progress.graceUntil
            switch decision {
            case .wait:
                return nil
            case .extend(let to, let l):
                lagging = l
                graceUntil = to
                rotation.extensions += 1
            case .close(let reason, let l):
                lagging = l
                if reason == .migrated { graceUntil = at }
                rotation.closedAt = at
                rotation.closeReason = reason
            }
            if graceUntil != progress.graceUntil {
                for i in key.versions.indices where key.versions[i].version == version { key.versions[i].graceUntil = graceUntil }
                key.updatedAt = tx.now
                try await self.store.updateKey(key, in: tx)
            }
            try await self.store.updateRotation(rotation, in: tx)
            var details = ["version": String(version), "grace_until": String(graceUntil.unixMillis)]
            if !lagging.isEmpty {
                details["lagging"] = lagging.map(\.name).joined(separator: ", ")
                details["lagging_ids"] = lagging.map(\.id).joined(separator: " ")
            }
            let event: WebhookEventType
            if case .close(let reason, _) = decision {
                details["reason"] = reason.rawValue
                tx.audit(AuditEntry(actor: "system", action: .keyRotationClosed, target: key.id.description, details: details))
                event = .keyRotationClosed
            } else {
                details["hard_maximum"] = String(rotation.hardMaximum.unixMillis)
                tx.audit(AuditEntry(actor: "system", action: .keyRotationExtended, target: key.id.description, details: details))
                event = .keyRotationLagging
            }
            details["key_id"] = key.id.description
            details["identity_id"] = key.identityID.description
            try await self.emit(event, details, in: tx)
            return RotationAction(keyID: key.id, version: version, decision: decision)
        }
    }
}
