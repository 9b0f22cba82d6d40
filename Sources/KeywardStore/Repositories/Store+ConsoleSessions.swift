import Foundation
import KeywardCore
import SQLKit

/// A console session as stored: only the SHA-256 of its cookie value, the management key it was
/// opened with, and its times.
package struct ConsoleSessionRow: Sendable, Equatable {
    package var idHash: String
    package var keyID: KeyID
    package var isAdmin: Bool
    package var createdAt: Date
    package var lastSeen: Date
    package var expiresAt: Date
    package var revokedAt: Date?

    package init(idHash: String, keyID: KeyID, isAdmin: Bool, createdAt: Date, lastSeen: Date, expiresAt: Date, revokedAt: Date? = nil) {
        self.idHash = idHash
        self.keyID = keyID
        self.isAdmin = isAdmin
        self.createdAt = createdAt
        self.lastSeen = lastSeen
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}

extension Store {
    package func insertConsoleSession(_ s: ConsoleSessionRow, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO console_sessions (id_hash, key_id, is_admin, created_at, last_seen, expires_at, revoked_at)
            VALUES (\(bind: s.idHash), \(bind: s.keyID.description), \(bind: s.isAdmin ? 1 : 0), \(bind: s.createdAt.unixMillis), \(bind: s.lastSeen.unixMillis), \(bind: s.expiresAt.unixMillis), NULL)
            """).run()
    }

    package func consoleSession(idHash: String) async throws -> ConsoleSessionRow? {
        try await read { db in
            guard let row = try await db.raw("SELECT id_hash, key_id, is_admin, created_at, last_seen, expires_at, revoked_at FROM console_sessions WHERE id_hash = \(bind: idHash)").first(),
                  let key = KeyID(try row.decode(column: "key_id", as: String.self)) else { return nil }
            return ConsoleSessionRow(idHash: try row.decode(column: "id_hash", as: String.self), keyID: key,
                                     isAdmin: try row.decode(column: "is_admin", as: Int64.self) != 0,
                                     createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
                                     lastSeen: Date(unixMillis: try row.decode(column: "last_seen", as: Int64.self)),
                                     expiresAt: Date(unixMillis: try row.decode(column: "expires_at", as: Int64.self)),
                                     revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(unixMillis:)))
        }
    }

    /// Marks a session seen now (the idle timeout counts from here).
    package func touchConsoleSession(idHash: String, at: Date) async throws {
        try await write { tx in
            try await tx.db.raw("UPDATE console_sessions SET last_seen = \(bind: at.unixMillis) WHERE id_hash = \(bind: idHash) AND revoked_at IS NULL").run()
        }
    }

    /// Ends a session; true when it was live.
    package func revokeConsoleSession(idHash: String, in tx: WriteTransaction) async throws -> Bool {
        let live = try await tx.db.raw("SELECT id_hash FROM console_sessions WHERE id_hash = \(bind: idHash) AND revoked_at IS NULL").first() != nil
        try await tx.db.raw("UPDATE console_sessions SET revoked_at = \(bind: tx.now.unixMillis) WHERE id_hash = \(bind: idHash) AND revoked_at IS NULL").run()
        return live
    }

    /// Forgets sessions that ended (expired or revoked) before `before`.
    package func pruneConsoleSessions(before: Date, in tx: WriteTransaction) async throws {
        try await tx.db.raw("DELETE FROM console_sessions WHERE expires_at < \(bind: before.unixMillis) OR revoked_at < \(bind: before.unixMillis)").run()
    }
}
