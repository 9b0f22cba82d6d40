import Foundation
import KeywardCore
import SQLKit

/// The tables whose rows carry a status the audit log accounts for (besides `api_keys`).
package enum AuditedTable: String, Sendable {
    case identities, incidents
}

extension Store {
    /// Appends audit records on their own (e.g. a refused issuance), in one transaction.
    package func appendAudit(_ entries: [AuditEntry]) async throws {
        try await write { tx in for e in entries { tx.audit(e) } }
    }

    package func auditHead() async throws -> (seq: Int64, hash: String) {
        try await read { try await auditHead(in: $0) }
    }

    package func auditHead(in db: StoreDB) async throws -> (seq: Int64, hash: String) {
        guard let row = try await db.raw("SELECT seq, hash FROM audit_head WHERE id = 1").first() else {
            throw StoreError.corrupt("audit head row is missing")
        }
        return (try row.decode(column: "seq", as: Int64.self), try row.decode(column: "hash", as: String.self))
    }

    package func auditPage(after seq: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read { try await auditPage(after: seq, limit: limit, in: $0) }
    }

    package func auditPage(after seq: Int64, limit: Int, in db: StoreDB) async throws -> [AuditRecord] {
        try await db.raw("SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log WHERE seq > \(bind: seq) ORDER BY seq LIMIT \(unsafeRaw: String(limit))")
            .all().map(Store.decodeAudit)
    }

    /// Streams the whole chain in `seq` order, a page per read.
    package func forEachAudit(pageSize: Int = 2_000, _ body: (AuditRecord) throws -> Bool) async throws {
        try await Store.forEachPage(pageSize, { try await self.auditPage(after: $0, limit: pageSize) }, body)
    }

    /// Streams the whole chain in `seq` order on `db` (inside `readSnapshot`).
    package func forEachAudit(in db: StoreDB, pageSize: Int = 2_000, _ body: (AuditRecord) throws -> Bool) async throws {
        try await Store.forEachPage(pageSize, { try await self.auditPage(after: $0, limit: pageSize, in: db) }, body)
    }

    private static func forEachPage(_ pageSize: Int, _ page: (Int64) async throws -> [AuditRecord], _ body: (AuditRecord) throws -> Bool) async throws {
        var after: Int64 = 0
        while true {
            let records = try await page(after)
            for r in records { if try !body(r) { return } }
            guard let last = records.last, records.count == pageSize else { return }
            after = last.seq
        }
    }

    /// Runs `body` in one read-only transaction, so the audit log, its head and the state tables
    /// are read as of one moment even while a server writes (a WAL snapshot in SQLite,
    /// REPEATABLE READ in PostgreSQL). For `keyward audit verify`.
    package func readSnapshot<R: Sendable>(_ body: (StoreDB) async throws -> R) async throws -> R {
        try await read { db in
            try await db.raw(isPostgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN").run()
            do {
                let r = try await body(db)
                try await db.raw("COMMIT").run()
                return r
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// The audited columns of every key and its versions, in id order (see `AuditStateCheck`),
    /// until `body` returns false.
    package func forEachAuditedKey(in db: StoreDB, pageSize: Int = 5_000, _ body: (String, AuditedKey) throws -> Bool) async throws {
        var after = ""
        while true {
            let rows = try await db.raw("SELECT id, identity_id, scopes, status, current_version FROM api_keys WHERE id > \(bind: after) ORDER BY id LIMIT \(unsafeRaw: String(pageSize))").all()
            guard let first = rows.first, let last = rows.last else { return }
            let lo = try first.decode(column: "id", as: String.self), hi = try last.decode(column: "id", as: String.self)
            var versions: [String: [AuditedKeyVersion]] = [:]
            for v in try await db.raw("SELECT key_id, version, expires_at, grace_until FROM api_key_versions WHERE key_id >= \(bind: lo) AND key_id <= \(bind: hi) ORDER BY key_id, version").all() {
                versions[try v.decode(column: "key_id", as: String.self), default: []].append(AuditedKeyVersion(
                    version: Int(try v.decode(column: "version", as: Int64.self)), expiresAt: try v.decode(column: "expires_at", as: Int64?.self),
                    graceUntil: try v.decode(column: "grace_until", as: Int64?.self)))
            }
            for r in rows {
                let id = try r.decode(column: "id", as: String.self)
                let scopes = (try? JSONColumn.decode([String].self, from: try r.decode(column: "scopes", as: String.self)))?.sorted().joined(separator: " ")
                let key = AuditedKey(identityID: try r.decode(column: "identity_id", as: String.self), scopes: scopes ?? "(unreadable)",
                                     status: try r.decode(column: "status", as: String.self),
                                     currentVersion: Int(try r.decode(column: "current_version", as: Int64.self)), versions: versions[id] ?? [])
                if try !body(id, key) { return }
            }
            if rows.count < pageSize { return }
            after = hi
        }
    }

    /// `id, status` of every row of `identities` or `incidents`, in id order, until `body` returns false.
    package func forEachAuditedStatus(_ table: AuditedTable, in db: StoreDB, pageSize: Int = 5_000, _ body: (String, String) throws -> Bool) async throws {
        var after = ""
        while true {
            let rows = try await db.raw("SELECT id, status FROM \(unsafeRaw: table.rawValue) WHERE id > \(bind: after) ORDER BY id LIMIT \(unsafeRaw: String(pageSize))").all()
            for r in rows { if try !body(try r.decode(column: "id", as: String.self), try r.decode(column: "status", as: String.self)) { return } }
            guard let last = rows.last, rows.count == pageSize else { return }
            after = try last.decode(column: "id", as: String.self)
        }
    }

    static func decodeAudit(_ row: any SQLRow) throws -> AuditRecord {
        AuditRecord(
            seq: try row.decode(column: "seq", as: Int64.self), at: try row.decode(column: "at", as: Int64.self),
            actor: try row.decode(column: "actor", as: String.self), action: try row.decode(column: "action", as: String.self),
            target: try row.decode(column: "target", as: String.self), details: try row.decode(column: "details", as: String.self),
            prevHash: try row.decode(column: "prev_hash", as: String.self), hash: try row.decode(column: "hash", as: String.self)
        )
    }
}
