import Foundation
import KeywardCore
import KeywardStore

/// A live console session: who it acts as, and whether that key may change anything.
package struct ConsoleSession: Sendable, Equatable {
    package var idHash: String
    package var keyID: KeyID
    package var isAdmin: Bool
    package var expiresAt: Date
    package var principal: Principal { .managementKey(keyID, isAdmin: isAdmin) }
}

/// Console sessions (issue 17), stored by the SHA-256 of their cookie so every node sees a sign-out at once.
extension Governance {
    /// Opens a session for a management key that just proved itself; audited `console.signed_in`.
    package func openConsoleSession(idHash: String, keyID: KeyID, isAdmin: Bool, remote: String?, policy: ConsoleSessionPolicy) async throws -> ConsoleSession {
        try await store.write { tx in
            let row = ConsoleSessionRow(idHash: idHash, keyID: keyID, isAdmin: isAdmin, createdAt: tx.now, lastSeen: tx.now,
                                        expiresAt: tx.now.addingTimeInterval(policy.absolute))
            // Sessions that ended a day ago are no use to anyone: each sign-in clears them, so the table stays small.
            try await self.store.pruneConsoleSessions(before: tx.now.addingTimeInterval(-86_400), in: tx)
            try await self.store.insertConsoleSession(row, in: tx)
            // The session is named by a prefix of its hash: enough to correlate, useless to present.
            tx.audit(AuditEntry(actor: Principal.managementKey(keyID, isAdmin: isAdmin).name, action: .consoleSignedIn, target: "session:\(idHash.prefix(12))",
                                details: ["admin": isAdmin ? "true" : "false", "remote": remote ?? "unknown",
                                          "expires_at": String(row.expiresAt.unixMillis)]))
            return ConsoleSession(idHash: idHash, keyID: keyID, isAdmin: isAdmin, expiresAt: row.expiresAt)
        }
    }

    /// The live session with this hash, or nil when there is none, or it was revoked, passed its
    /// absolute or idle expiry, or its key is no longer a live management key (revoked,
    /// quarantined, expired). Whether it may change anything follows the key's scopes now.
    package func consoleSession(idHash: String, policy: ConsoleSessionPolicy) async throws -> ConsoleSession? {
        guard let row = try await store.consoleSession(idHash: idHash), row.revokedAt == nil else { return nil }
        let now = store.clock.now()
        guard now < row.expiresAt, now.timeIntervalSince(row.lastSeen) < policy.idle else { return nil }
        guard let key = try await store.key(row.keyID), key.identityID == .keyward, key.status == .active,
              let version = key.current, version.expiresAt.map({ now < $0 }) ?? true else { return nil }
        let isAdmin = key.scopes.contains(.admin)
        guard isAdmin || key.scopes.contains(.read) else { return nil }
        // One write a minute at most per session, not one per page.
        if now.timeIntervalSince(row.lastSeen) >= 60 { try await store.touchConsoleSession(idHash: idHash, at: now) }
        return ConsoleSession(idHash: idHash, keyID: row.keyID, isAdmin: isAdmin, expiresAt: row.expiresAt)
    }

    /// Ends a session server-side (sign-out); audited `console.signed_out` when it was live.
    package func closeConsoleSession(idHash: String, keyID: KeyID) async throws {
        try await store.write { tx in
            if try await self.store.revokeConsoleSession(idHash: idHash, in: tx) {
                tx.audit(AuditEntry(actor: Principal.managementKey(keyID, isAdmin: false).name, action: .consoleSignedOut, target: "session:\(idHash.prefix(12))", details: [:]))
            }
        }
    }
}
