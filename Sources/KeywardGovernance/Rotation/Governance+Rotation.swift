import Foundation
import KeywardCore
import KeywardStore

/// Rotation closed by observed migration (issue 15): who still presents the old version, and
/// the watcher's actions on a rotation's window. Every input is flushed telemetry: what the
/// usage recorder holds in memory is not seen until the flusher writes it, so the flush
/// interval bounds how late a close or an extension can be (the watcher flushes first).
extension Governance {
    /// The quiet period and the hard maximum (seconds after the rotation) of a new rotation.
    func rotationBounds(grace: TimeInterval, quietPeriodSeconds: Int?, maxGraceSeconds: Int?) throws -> (TimeInterval, TimeInterval) {
        let quiet = quietPeriodSeconds.map(TimeInterval.init) ?? policy.rotationQuietPeriod
        guard quiet >= 1, quiet <= policy.maxGrace else {
            throw KeywardError(.validation, "quiet_period_seconds must be from 1 to \(Int(policy.maxGrace)) (the policy's maximum grace)")
        }
        // Below the grace window it means "no extension": the window itself is the maximum.
        let hardMax = max(grace, maxGraceSeconds.map(TimeInterval.init) ?? policy.maxGrace)
        guard hardMax <= policy.maxGrace else {
            throw KeywardError(.policyDenied, "max_grace_seconds of \(Lifetime.describe(hardMax)) exceeds the policy maximum of \(Lifetime.describe(policy.maxGrace))",
                               rule: "rotation.grace_exceeds_maximum")
        }
        return (quiet, hardMax)
    }

    /// The key's latest rotation with its consumers, at `now` (default: the store's clock).
    package func rotationReport(of id: KeyID, now: Date? = nil) async throws -> RotationReport {
        try await store.read { db in
            guard let key = try await self.store.key(id, in: db) else { throw KeywardError.notFound("key") }
            guard let rotation = try await self.store.latestRotation(of: id, in: db) else {
                throw KeywardError(.notFound, "the key has not been rotated (or was rotated before rotations were tracked)")
            }
            let at = now ?? self.store.clock.now()
            let (progress, entries) = try await self.progress(of: key, rotation, at: at, in: db)
            return RotationReport(rotation: rotation, graceUntil: progress.graceUntil,
                                  closesIfQuietAt: rotation.closedAt == nil ? progress.closesIfQuietAt(now: at) : nil, consumers: entries)
        }
    }

    /// The rotation's progress from flushed telemetry: declared consumers holding the key (a
    /// source matching one of its `sources` is its own), then every other source seen with
    /// the old or a newer version, as an observed consumer.
    func progress(of key: APIKey, _ rotation: KeyRotationRecord, at now: Date, in db: StoreDB) async throws -> (RotationProgress, [RotationReport.Entry]) {
        let declared = try await store.consumers(holding: .key(key.id), in: db)
        let versions = [rotation.fromVersion] + Array(stride(from: rotation.fromVersion + 1, through: max(key.currentVersion, rotation.toVersion), by: 1))
        var entries: [String: RotationReport.Entry] = [:]
        var order: [String] = []
        for c in declared {
            entries[c.id.description] = RotationReport.Entry(
                consumer: RotationConsumer(id: c.id.description, name: c.name, kind: .declared, lastOld: nil, lastNew: nil),
                status: .unseen, oldUses: 0, newUses: 0, source: nil)
            order.append(c.id.description)
        }
        for versioned in try await store.versionUse(of: key.id, versions: versions, in: db) {
            let use = versioned.source
            let owner = declared.first { c in
                c.sources.contains { $0.matches(ip: use.ip, userAgent: use.userAgent, clientCertSubject: use.clientCertSubject, clientCertThumbprint: use.clientCertThumbprint) }
            }
            let entryID = owner?.id.description ?? use.sourceID
            if entries[entryID] == nil {
                let attrs = ConsumerSource(ip: use.ip, userAgent: use.userAgent, clientCertSubject: use.clientCertSubject, clientCertThumbprint: use.clientCertThumbprint)
                entries[entryID] = RotationReport.Entry(
                    consumer: RotationConsumer(id: use.sourceID, name: Self.observedName(attrs), kind: .observed, lastOld: nil, lastNew: nil),
                    status: .unseen, oldUses: 0, newUses: 0, source: attrs)
                order.append(entryID)
            }
            let last = Date(unixMillis: use.lastSeen)
            if versioned.version == rotation.fromVersion {
                entries[entryID]!.oldUses += use.count
                entries[entryID]!.consumer.lastOld = max(entries[entryID]!.consumer.lastOld ?? last, last)
            } else {
                entries[entryID]!.newUses += use.count
                entries[entryID]!.consumer.lastNew = max(entries[entryID]!.consumer.lastNew ?? last, last)
            }
        }
        let graceUntil = key.versions.first { $0.version == rotation.fromVersion }?.graceUntil ?? rotation.rotatedAt
        let progress = RotationProgress(rotatedAt: rotation.rotatedAt, graceUntil: graceUntil, quietPeriod: rotation.quietPeriod,
                                        hardMaximum: rotation.hardMaximum, consumers: order.compactMap { entries[$0]?.consumer })
        let out = order.compactMap { id -> RotationReport.Entry? in
            guard var e = entries[id] else { return nil }
            e.status = progress.status(of: e.consumer, at: now)
            return e
        }
        return (progress, out)
    }

    /// An observed consumer's name: what it reported (address, user agent, certificate subject).
    static func observedName(_ s: ConsumerSource) -> String {
        let parts = [s.ip, s.userAgent, s.clientCertSubject ?? s.clientCertThumbprint].compactMap { $0 }
        return parts.isEmpty ? "unidentified (no source reported)" : parts.joined(separator: " ")
    }
}
