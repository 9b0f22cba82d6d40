import Foundation
import KeywardCore
import SQLKit

extension Store {
    static let detectionColumns = "id, detector, action, status, key_id, client_id, identity_id, environment, source, at, evidence, incident_id, blocked_until, released_at, released_by, release_reason"

    package func insertDetection(_ d: DetectionRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO detections (\(unsafeRaw: Store.detectionColumns)) VALUES (\(bind: d.id.description), \(bind: d.detector.rawValue), \(bind: d.action.rawValue), \(bind: d.status.rawValue), \(bind: d.keyID?.description), \(bind: d.clientID?.description), \(bind: d.identityID?.description), \(bind: d.environment), \(bind: d.source), \(bind: d.at.unixMillis), \(bind: JSONColumn.encode(d.evidence)), \(bind: d.incidentID?.description), \(bind: d.blockedUntil?.unixMillis), \(bind: d.releasedAt?.unixMillis), \(bind: d.releasedBy), \(bind: d.releaseReason))
            """).run()
    }

    package func updateDetection(_ d: DetectionRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            UPDATE detections SET status = \(bind: d.status.rawValue), incident_id = \(bind: d.incidentID?.description), blocked_until = \(bind: d.blockedUntil?.unixMillis), released_at = \(bind: d.releasedAt?.unixMillis), released_by = \(bind: d.releasedBy), release_reason = \(bind: d.releaseReason) WHERE id = \(bind: d.id.description)
            """).run()
    }

    package func detection(_ id: DetectionID, in db: any SQLDatabase) async throws -> DetectionRecord? {
        try await db.raw("SELECT \(unsafeRaw: Store.detectionColumns) FROM detections WHERE id = \(bind: id.description)").first().map(Store.decodeDetection)
    }

    package func detection(_ id: DetectionID) async throws -> DetectionRecord? {
        try await read { try await self.detection(id, in: $0) }
    }

    /// Newest first; the cursor is the last id of the previous page.
    package func listDetections(_ f: DetectionFilter, limit: Int, after cursor: String?) async throws -> Page<DetectionRecord> {
        try await read { db in
            var q = SQLQueryString("SELECT \(unsafeRaw: Store.detectionColumns) FROM detections WHERE 1 = 1")
            if let d = f.detector { q.appendInterpolation(unsafeRaw: " AND detector = "); q.appendInterpolation(bind: d.rawValue) }
            if let s = f.status { q.appendInterpolation(unsafeRaw: " AND status = "); q.appendInterpolation(bind: s.rawValue) }
            if let k = f.keyID { q.appendInterpolation(unsafeRaw: " AND key_id = "); q.appendInterpolation(bind: k.description) }
            if let i = f.identityID { q.appendInterpolation(unsafeRaw: " AND identity_id = "); q.appendInterpolation(bind: i.description) }
            if let s = f.source { q.appendInterpolation(unsafeRaw: " AND source = "); q.appendInterpolation(bind: s) }
            if let c = cursor {
                let at = "(SELECT at FROM detections WHERE id = "
                q.appendInterpolation(unsafeRaw: " AND (at < \(at)"); q.appendInterpolation(bind: c)
                q.appendInterpolation(unsafeRaw: ") OR (at = \(at)"); q.appendInterpolation(bind: c)
                q.appendInterpolation(unsafeRaw: ") AND id < "); q.appendInterpolation(bind: c); q.appendInterpolation(unsafeRaw: "))")
            }
            q.appendInterpolation(unsafeRaw: " ORDER BY at DESC, id DESC LIMIT \(limit + 1)")
            let rows = try await db.raw(q).all().map(Store.decodeDetection)
            let items = Array(rows.prefix(limit))
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { PageCursor.encode($0.id.description) } : nil)
        }
    }

    /// Open detections whose block still runs at `now`: what a restarted node blocks again.
    package func activeBlocks(at now: Date) async throws -> [DetectionRecord] {
        try await read { db in
            try await db.raw("SELECT \(unsafeRaw: Store.detectionColumns) FROM detections WHERE status = 'open' AND blocked_until > \(bind: now.unixMillis)")
                .all().map(Store.decodeDetection)
        }
    }

    static func decodeDetection(_ row: any SQLRow) throws -> DetectionRecord {
        guard let id = DetectionID(try row.decode(column: "id", as: String.self)),
              let detector = DetectorKind(rawValue: try row.decode(column: "detector", as: String.self)),
              let action = DetectionAction(rawValue: try row.decode(column: "action", as: String.self)),
              let status = DetectionStatus(rawValue: try row.decode(column: "status", as: String.self))
        else { throw StoreError.corrupt("detection row") }
        func ms(_ c: String) throws -> Date? { try row.decode(column: c, as: Int64?.self).map(Date.init(unixMillis:)) }
        func text(_ c: String) throws -> String? { try row.decode(column: c, as: String?.self) }
        return DetectionRecord(
            id: id, detector: detector, action: action, status: status, keyID: try text("key_id").flatMap(KeyID.init),
            clientID: try text("client_id").flatMap(OAuthClientID.init), identityID: try text("identity_id").flatMap(IdentityID.init),
            environment: try text("environment"), source: try text("source"), at: try ms("at")!,
            evidence: try JSONColumn.decode(Finding.Evidence.self, from: try row.decode(column: "evidence", as: String.self)),
            incidentID: try text("incident_id").flatMap(IncidentID.init), blockedUntil: try ms("blocked_until"),
            releasedAt: try ms("released_at"), releasedBy: try text("released_by"), releaseReason: try text("release_reason"))
    }
}
