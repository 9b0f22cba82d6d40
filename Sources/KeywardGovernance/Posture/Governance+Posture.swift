import Foundation
import KeywardCore
import KeywardStore

/// Posture against the OWASP NHI Top 10 (issue 17): a snapshot of the inventory and its
/// telemetry, evaluated by the pure checks in `KeywardCore/Posture`.
extension Governance {
    /// The scope-use window NHI5 reads (the privilege review's default).
    package static let postureUsageWindowDays = 30

    /// Computes the posture now and keeps it as the day's snapshot (the trend's point for today).
    package func posture(policy: PosturePolicy = PosturePolicy()) async throws -> PostureReport {
        let report = Posture.evaluate(try await postureInput(policy: policy))
        try await store.recordPostureSnapshot(PostureSnapshot(report))
        return report
    }

    package static let postureTrendDays = 1...366

    /// The daily snapshots of the last `days` days (today included), oldest first.
    package func postureTrend(days: Int) async throws -> [PostureSnapshot] {
        guard Self.postureTrendDays.contains(days) else { throw KeywardError(.validation, "days must be from 1 to 366") }
        let since = store.clock.now().addingTimeInterval(-TimeInterval(days - 1) * 86_400)
        return try await store.postureSnapshots(sinceDay: PostureSnapshot.day(since))
    }

    /// Every identity, key, credential, consumer, client, incident and open detection, and the
    /// exercised scopes of each live key over the usage window. One pass over each table; the
    /// scope telemetry is read per live key.
    package func postureInput(policy: PosturePolicy = PosturePolicy()) async throws -> PostureInput {
        let now = store.clock.now()
        let identities = try await allPages { try await self.store.listIdentities(IdentityFilter(), limit: 500, after: $0) }
        var keys: [APIKey] = []
        try await store.forEachKey { keys += $0 }
        var clients: [OAuthClient] = []
        try await store.forEachClient { clients += $0 }
        let credentials = try await allPages { try await self.credentials(identity: nil, limit: 500, after: $0) }
        let consumers = try await allPages { try await self.consumers(holding: nil, limit: 500, after: $0) }
        let incidents = try await allPages { try await self.incidents(IncidentFilter(), limit: 500, after: $0) }
        let detections = try await allPages { try await self.detections(DetectionFilter(status: .open), limit: 500, after: $0) }
        var input = PostureInput(now: now, policy: policy, identities: identities, keys: keys, credentials: credentials, consumers: consumers,
                                 clients: clients, incidents: incidents, unownedExposures: try await store.unownedExposureCount(),
                                 detections: detections, usageWindowDays: Self.postureUsageWindowDays)
        input.lastConfirmed = try await store.lastReviews()
        input.reviewPolicy = reviewPolicy
        let start = now.addingTimeInterval(-TimeInterval(Self.postureUsageWindowDays) * 86_400)
        let live = keys.filter { input.isLive($0) && $0.identityID != .keyward }
        input.exercisedScopes = try await store.read { db in
            var used: [KeyID: Set<Scope>] = [:]
            for k in live {
                let evidence = try await self.store.scopeEvidence(of: k.id, since: start, in: db)
                let seen = evidence.observations.filter { $0.lastSeen >= start }.map(\.scope)
                // A key with no scope-naming verify in the window has no evidence either way.
                if evidence.validUses > 0, !seen.isEmpty { used[k.id] = Set(seen) }
            }
            return used
        }
        return input
    }

    /// Every item of a cursor-paged listing.
    func allPages<T: Sendable>(_ page: (String?) async throws -> Page<T>) async throws -> [T] {
        var out: [T] = [], cursor: String?
        repeat {
            let p = try await page(cursor)
            out += p.items
            cursor = p.nextCursor
        } while cursor != nil
        return out
    }
}
