import Foundation
import KeywardCore
import KeywardStore

/// Recertification (issue 17): owners confirm their identities on the policy's schedule; the
/// campaign lists what each owner must confirm or decommission; unconfirmed identities feed
/// posture NHI1 (and NHI3 for third parties).
extension Governance {
    package static let reviewHorizonDays = 0...365

    /// Active identities due within `horizonDays` or overdue, by owner.
    package func reviewCampaign(horizonDays: Int, policy: ReviewPolicy? = nil) async throws -> [ReviewItem] {
        guard Self.reviewHorizonDays.contains(horizonDays) else { throw KeywardError(.validation, "horizon_days must be from 0 to 365") }
        let identities = try await allPages { try await self.store.listIdentities(IdentityFilter(status: .active), limit: 500, after: $0) }
        return Recertification.campaign(identities, lastConfirmed: try await store.lastReviews(), now: store.clock.now(), policy: policy ?? reviewPolicy,
                                        horizonDays: horizonDays)
    }

    /// One identity's review (nil for Keyward's own and decommissioned identities): one grouped
    /// query for the confirmations, not the whole campaign.
    package func review(of identity: Identity) async throws -> ReviewItem? {
        guard identity.status == .active, !identity.isBuiltIn else { return nil }
        return Recertification.item(identity, lastConfirmed: try await store.lastReviews()[identity.id], now: store.clock.now(), policy: reviewPolicy)
    }

    /// The owner (through a management key) confirms the identity is still needed: audited as
    /// `identity.confirmed`; its next review is due one interval from now.
    package func confirmIdentity(_ id: IdentityID, note: String?, actor: Principal, policy: ReviewPolicy? = nil) async throws -> ReviewItem {
        guard actor.isAdmin else { throw KeywardError(.forbidden, "only an admin may confirm an identity") }
        try Validate.optionalText(note, field: "note", max: 500)
        if id == .keyward { throw KeywardError(.conflict, "the built-in keyward identity is not reviewed") }
        return try await store.write { tx in
            guard let identity = try await self.store.identity(id, in: tx.db) else { throw KeywardError.notFound("identity") }
            guard identity.status == .active else { throw KeywardError(.conflict, "the identity is decommissioned") }
            try await self.store.recordReview(id, by: actor.name, note: note, in: tx)
            let item = Recertification.item(identity, lastConfirmed: tx.now, now: tx.now, policy: policy ?? self.reviewPolicy)
            tx.audit(AuditEntry(actor: actor.name, action: .identityConfirmed, target: id.description,
                                details: ["note": note ?? "", "next_review_due": ISO8601DateFormatter().string(from: item.dueAt)]))
            return item
        }
    }

    /// Queues `review.due` for each identity due or overdue that had no reminder in the last
    /// `every` (and none since it fell due), with its owner; returns how many were queued.
    @discardableResult
    package func remindReviews(policy: ReviewPolicy? = nil, every: TimeInterval = 7 * 86_400) async throws -> Int {
        let due = try await reviewCampaign(horizonDays: 0, policy: policy)
        guard !due.isEmpty else { return 0 }
        let sent = try await store.lastReviewReminders()
        let now = store.clock.now()
        let send = due.filter { item in sent[item.identity.id].map { $0 < item.dueAt || now.timeIntervalSince($0) >= every } ?? true }
        guard !send.isEmpty else { return 0 }
        try await store.write { tx in
            for item in send {
                try await self.store.recordReviewReminder(item.identity.id, in: tx)
                try await self.store.emitWebhook(.reviewDue, [
                    "identity_id": item.identity.id.description, "name": item.identity.name, "kind": item.identity.kind.rawValue,
                    "owner": item.owner ?? "", "due_at": String(item.dueAt.unixMillis), "overdue_days": String(item.overdueDays),
                ], in: tx)
            }
        }
        return send.count
    }
}
