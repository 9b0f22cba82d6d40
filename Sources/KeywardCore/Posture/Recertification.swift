import Foundation

/// How often owners must confirm their identities: third parties more often.
package struct ReviewPolicy: Sendable, Equatable {
    package var days: Int = 90
    package var thirdPartyDays: Int = 30

    package init(days: Int = 90, thirdPartyDays: Int = 30) {
        self.days = days
        self.thirdPartyDays = thirdPartyDays
    }

    package func interval(for kind: IdentityKind) -> Int { kind == .thirdParty ? thirdPartyDays : days }
}

/// One identity an owner must confirm (or decommission).
package struct ReviewItem: Sendable, Equatable {
    package var identity: Identity
    /// The last confirmation; nil when never confirmed (the interval counts from creation).
    package var lastConfirmedAt: Date?
    package var dueAt: Date
    /// Whole days past due; 0 or less when not yet due.
    package var overdueDays: Int
    package var owner: String? { identity.technicalOwner ?? identity.businessOwner }

    package init(identity: Identity, lastConfirmedAt: Date?, dueAt: Date, overdueDays: Int) {
        self.identity = identity
        self.lastConfirmedAt = lastConfirmedAt
        self.dueAt = dueAt
        self.overdueDays = overdueDays
    }
}

/// Recertification as values: when each active identity is due, and the campaign of those due
/// within a horizon, by owner.
package enum Recertification {
    package static func dueAt(_ i: Identity, lastConfirmed: Date?, policy: ReviewPolicy) -> Date {
        (lastConfirmed ?? i.createdAt).addingTimeInterval(TimeInterval(policy.interval(for: i.kind)) * 86_400)
    }

    /// One identity's review at `now`: when it is due, and by how many whole days it is overdue.
    package static func item(_ i: Identity, lastConfirmed: Date?, now: Date, policy: ReviewPolicy) -> ReviewItem {
        let due = dueAt(i, lastConfirmed: lastConfirmed, policy: policy)
        return ReviewItem(identity: i, lastConfirmedAt: lastConfirmed, dueAt: due, overdueDays: Int(now.timeIntervalSince(due) / 86_400))
    }

    /// Active identities (not Keyward's own) due within `horizonDays` or overdue, ordered by
    /// owner, then due date.
    package static func campaign(_ identities: [Identity], lastConfirmed: [IdentityID: Date], now: Date, policy: ReviewPolicy,
                                 horizonDays: Int) -> [ReviewItem] {
        let horizon = now.addingTimeInterval(TimeInterval(horizonDays) * 86_400)
        return identities.filter { $0.status == .active && !$0.isBuiltIn }.compactMap { i -> ReviewItem? in
            let r = item(i, lastConfirmed: lastConfirmed[i.id], now: now, policy: policy)
            return r.dueAt <= horizon ? r : nil
        }.sorted { ($0.owner ?? "~", $0.dueAt, $0.identity.name) < ($1.owner ?? "~", $1.dueAt, $1.identity.name) }
    }
}
