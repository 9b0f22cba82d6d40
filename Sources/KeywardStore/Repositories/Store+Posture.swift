import Foundation
import KeywardCore
import SQLKit

/// Posture snapshots, one per UTC day: the last posture computed that day replaces the day's row.
extension Store {
    package func recordPostureSnapshot(_ s: PostureSnapshot) async throws {
        try await write { tx in
            try await tx.db.raw("""
                INSERT INTO posture_snapshots (day, taken_at, overall, risks) VALUES (\(bind: s.day), \(bind: s.takenAt.unixMillis), \(bind: s.overallScore.map(Int64.init)), \(bind: JSONColumn.encode(s.risks)))
                ON CONFLICT (day) DO UPDATE SET taken_at = excluded.taken_at, overall = excluded.overall, risks = excluded.risks
                """).run()
        }
    }

    /// The snapshots from `sinceDay` (`YYYY-MM-DD`) on, oldest first.
    package func postureSnapshots(sinceDay: String) async throws -> [PostureSnapshot] {
        try await read { db in
            try await db.raw("SELECT day, taken_at, overall, risks FROM posture_snapshots WHERE day >= \(bind: sinceDay) ORDER BY day").all().map { row in
                PostureSnapshot(day: try row.decode(column: "day", as: String.self),
                                takenAt: Date(unixMillis: try row.decode(column: "taken_at", as: Int64.self)),
                                overallScore: try row.decode(column: "overall", as: Int64?.self).map(Int.init),
                                risks: try JSONColumn.decode([PostureSnapshot.Risk].self, from: try row.decode(column: "risks", as: String.self)))
            }
        }
    }
}

/// Recertification: each confirmation an owner (through a management key) made of an identity.
extension Store {
    package func recordReview(_ id: IdentityID, by actor: String, note: String?, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO identity_reviews (identity_id, confirmed_at, confirmed_by, note) VALUES (\(bind: id.description), \(bind: tx.now.unixMillis), \(bind: actor), \(bind: note))
            ON CONFLICT (identity_id, confirmed_at) DO NOTHING
            """).run()
    }

    /// Each identity's last confirmation.
    package func lastReviews() async throws -> [IdentityID: Date] {
        try await latestPerIdentity(in: "identity_reviews", at: "confirmed_at")
    }

    /// The newest `at` per identity in one of the review tables (names from this file, never input).
    private func latestPerIdentity(in table: String, at column: String) async throws -> [IdentityID: Date] {
        try await read { db in
            var out: [IdentityID: Date] = [:]
            for row in try await db.raw("SELECT identity_id, max(\(unsafeRaw: column)) AS at FROM \(unsafeRaw: table) GROUP BY identity_id").all() {
                guard let id = IdentityID(try row.decode(column: "identity_id", as: String.self)) else { continue }
                out[id] = Date(unixMillis: try row.decode(column: "at", as: Int64.self))
            }
            return out
        }
    }
}

extension Store {
    package func recordReviewReminder(_ id: IdentityID, in tx: WriteTransaction) async throws {
        try await tx.db.raw("INSERT INTO review_reminders (identity_id, sent_at) VALUES (\(bind: id.description), \(bind: tx.now.unixMillis)) ON CONFLICT (identity_id, sent_at) DO NOTHING").run()
    }

    /// Each identity's last review.due reminder.
    package func lastReviewReminders() async throws -> [IdentityID: Date] {
        try await latestPerIdentity(in: "review_reminders", at: "sent_at")
    }
}
