import Foundation
import KeywardCore
import SQLKit

/// A write in progress: the connection, the time of the change, the audit head it holds,
/// and the changes to publish after commit.
package final class WriteTransaction {
    package let db: any SQLDatabase
    package let now: Date
    private var headSeq: Int64
    private var headHash: String
    private var pending: [AuditRecord] = []
    package private(set) var changes: [StoreChange] = []

    init(db: any SQLDatabase, now: Date, headSeq: Int64, headHash: String) {
        self.db = db
        self.now = now
        self.headSeq = headSeq
        self.headHash = headHash
    }

    /// Chains an audit record into this transaction. If it cannot be written, the change fails.
    package func audit(_ entry: AuditEntry) {
        let r = AuditRecord.next(after: headSeq, prevHash: headHash, at: now.unixMillis, entry: entry)
        headSeq = r.seq
        headHash = r.hash
        pending.append(r)
    }

    package func changed(_ change: StoreChange) { changes.append(change) }

    func flushAudit() async throws {
        guard !pending.isEmpty else { return }
        for r in pending {
            try await db.raw("""
                INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash)
                VALUES (\(bind: r.seq), \(bind: r.at), \(bind: r.actor), \(bind: r.action), \(bind: r.target), \(bind: r.details), \(bind: r.prevHash), \(bind: r.hash))
                """).run()
        }
        try await db.raw("UPDATE audit_head SET seq = \(bind: headSeq), hash = \(bind: headHash) WHERE id = 1").run()
        pending.removeAll()
    }
}
