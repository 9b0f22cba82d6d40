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
