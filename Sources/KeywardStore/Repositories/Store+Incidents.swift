import Foundation
import KeywardCore
import SQLKit

package struct IncidentFilter: Sendable {
    package var status: IncidentStatus?
    package var target: CredentialRef?
    package init(status: IncidentStatus? = nil, target: CredentialRef? = nil) {
        self.status = status
        self.target = target
    }
}

extension Store {
    static let incidentColumns = "id, dedupe_key, status, target_kind, target_id, target_version, identity_id, environment, source, classification, action, received_at, matched_at, contained_at, notified_at, exposure_count, blast_radius, hunt, guidance, events, created_at, updated_at"

    package func insertIncident(_ i: Incident, dedupeKey: String, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO incidents (\(unsafeRaw: Store.incidentColumns)) VALUES (\(bind: i.id.description), \(bind: dedupeKey), \(bind: i.status.rawValue), \(bind: i.target.kind), \(bind: i.target.description), \(bind: i.targetVersion.map(Int64.init)), \(bind: i.identityID.description), \(bind: i.environment), \(bind: i.source), \(bind: i.classification.rawValue), \(bind: i.action.rawValue), \(bind: i.receivedAt.unixMillis), \(bind: i.matchedAt.unixMillis), \(bind: i.containedAt?.unixMillis), \(bind: i.notifiedAt?.unixMillis), \(bind: Int64(i.exposureCount)), \(bind: i.blastRadiusJSON), \(bind: i.huntJSON), \(bind: i.guidance), \(bind: JSONColumn.encode(i.events)), \(bind: i.createdAt.unixMillis), \(bind: i.updatedAt.unixMillis))
            """).run()
    }

    /// Writes the mutable part of an incident (status, times, counts, timeline).
    package func updateIncident(_ i: Incident, dedupeKey: String? = nil, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            UPDATE incidents SET status = \(bind: i.status.rawValue), contained_at = \(bind: i.containedAt?.unixMillis), notified_at = \(bind: i.notifiedAt?.unixMillis), exposure_count = \(bind: Int64(i.exposureCount)), events = \(bind: JSONColumn.encode(i.events)), updated_at = \(bind: i.updatedAt.unixMillis) WHERE id = \(bind: i.id.description)
            """).run()
        if let dedupeKey {
            try await tx.db.raw("UPDATE incidents SET dedupe_key = \(bind: dedupeKey) WHERE id = \(bind: i.id.description)").run()
        }
    }

    /// Replaces an incident's hunt (`Governance.refreshHunt`).
    package func updateIncidentHunt(_ id: IncidentID, huntJSON: String, in tx: WriteTransaction) async throws {
        try await tx.db.raw("UPDATE incidents SET hunt = \(bind: huntJSON) WHERE id = \(bind: id.description)").run()
    }

    package func incident(dedupeKey: String, in db: any SQLDatabase) async throws -> Incident? {
        try await db.raw("SELECT \(unsafeRaw: Store.incidentColumns) FROM incidents WHERE dedupe_key = \(bind: dedupeKey)").first().map(Store.decodeIncident)
    }

    package func incident(_ id: IncidentID, in db: any SQLDatabase) async throws -> Incident? {
        try await db.raw("SELECT \(unsafeRaw: Store.incidentColumns) FROM incidents WHERE id = \(bind: id.description)").first().map(Store.decodeIncident)
    }

    package func incident(_ id: IncidentID) async throws -> Incident? {
        try await read { try await self.incident(id, in: $0) }
    }

    /// Newest first (by opening time, then id). The cursor is the last id of the previous page;
    /// its opening time is looked up (incidents are never deleted), so one unknown matches nothing.
    package func listIncidents(_ f: IncidentFilter, limit: Int, after cursor: String?) async throws -> Page<Incident> {
        try await read { db in
            var q = SQLQueryString("SELECT \(unsafeRaw: Store.incidentColumns) FROM incidents WHERE 1 = 1")
            if let s = f.status { q.appendInterpolation(unsafeRaw: " AND status = "); q.appendInterpolation(bind: s.rawValue) }
            if let t = f.target { q.appendInterpolation(unsafeRaw: " AND target_id = "); q.appendInterpolation(bind: t.description) }
            if let c = cursor {
                let at = "(SELECT created_at FROM incidents WHERE id = "
                q.appendInterpolation(unsafeRaw: " AND (created_at < \(at)"); q.appendInterpolation(bind: c)
                q.appendInterpolation(unsafeRaw: ") OR (created_at = \(at)"); q.appendInterpolation(bind: c)
                q.appendInterpolation(unsafeRaw: ") AND id < "); q.appendInterpolation(bind: c); q.appendInterpolation(unsafeRaw: "))")
            }
            q.appendInterpolation(unsafeRaw: " ORDER BY created_at DESC, id DESC LIMIT \(limit + 1)")
            let rows = try await db.raw(q).all().map(Store.decodeIncident)
            let items = Array(rows.prefix(limit))
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { PageCursor.encode($0.id.description) } : nil)
        }
    }

    static func decodeIncident(_ row: any SQLRow) throws -> Incident {
        guard let id = IncidentID(try row.decode(column: "id", as: String.self)),
              let status = IncidentStatus(rawValue: try row.decode(column: "status", as: String.self)),
              let iid = IdentityID(try row.decode(column: "identity_id", as: String.self)),
              let cls = ExposureClassification(rawValue: try row.decode(column: "classification", as: String.self)),
              let action = ContainmentAction(rawValue: try row.decode(column: "action", as: String.self)),
              let target = CredentialRef(kind: try row.decode(column: "target_kind", as: String.self), id: try row.decode(column: "target_id", as: String.self))
        else { throw StoreError.corrupt("incident row") }
        func ms(_ c: String) throws -> Date? { try row.decode(column: c, as: Int64?.self).map(Date.init(unixMillis:)) }
        return Incident(
            id: id, status: status, target: target,
            targetVersion: try row.decode(column: "target_version", as: Int64?.self).map(Int.init), identityID: iid,
            environment: try row.decode(column: "environment", as: String.self), source: try row.decode(column: "source", as: String.self),
            classification: cls, action: action, receivedAt: try ms("received_at")!, matchedAt: try ms("matched_at")!,
            containedAt: try ms("contained_at"), notifiedAt: try ms("notified_at"),
            exposureCount: Int(try row.decode(column: "exposure_count", as: Int64.self)),
            blastRadiusJSON: try row.decode(column: "blast_radius", as: String.self), huntJSON: try row.decode(column: "hunt", as: String.self),
            guidance: try row.decode(column: "guidance", as: String.self),
            events: try JSONColumn.decode([IncidentEvent].self, from: try row.decode(column: "events", as: String.self)),
            createdAt: try ms("created_at")!, updatedAt: try ms("updated_at")!)
    }
}
