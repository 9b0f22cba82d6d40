import Foundation
import KeywardCore
import SQLKit

extension Store {
    /// Appends audit records on their own (e.g. a refused issuance), in one transaction.
    package func appendAudit(_ entries: [AuditEntry]) async throws {
        try await write { tx in for e in entries { tx.audit(e) } }
    }

    package func auditHead() async throws -> (seq: Int64, hash: String) {
        try await read { db in
            guard let row = try await db.raw("SELECT seq, hash FROM audit_head WHERE id = 1").first() else {
                throw StoreError.corrupt("audit head row is missing")
            }
            return (try row.decode(column: "seq", as: Int64.self), try row.decode(column: "hash", as: String.self))
        }
    }

    package func auditPage(after seq: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read { db in
            try await db.raw("SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log WHERE seq > \(bind: seq) ORDER BY seq LIMIT \(unsafeRaw: String(limit))")
                .all().map(Store.decodeAudit)
        }
    }

    /// Streams the whole chain in `seq` order.
    package func forEachAudit(pageSize: Int = 2_000, _ body: (AuditRecord) throws -> Bool) async throws {
        var after: Int64 = 0
        while true {
            let page = try await auditPage(after: after, limit: pageSize)
            for r in page { if try !body(r) { return } }
            guard let last = page.last, page.count == pageSize else { return }
            after = last.seq
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
