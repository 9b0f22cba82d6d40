import Foundation
import KeywardCore
import SQLKit

extension UsageBatch {
    /// One source's use of one key version between flushes. A verify with no `source` is
    /// recorded under the anonymous source (every attribute nil), so old-version traffic from
    /// callers that report nothing still keeps a rotation open.
    package struct VersionUse: Sendable {
        package var version: Int
        package var source: Source
        package init(version: Int, source: Source) {
            self.version = version
            self.source = source
        }
    }
}

/// A rotation as the watcher tracks it: one row per (key, old version), written by `rotate`.
package struct KeyRotationRecord: Sendable, Equatable {
    package var keyID: KeyID
    package var fromVersion: Int
    package var toVersion: Int
    package var rotatedAt: Date
    package var quietPeriod: TimeInterval
    package var hardMaximum: Date
    /// How many times the window was extended for lagging consumers.
    package var extensions: Int
    package var closedAt: Date?
    package var closeReason: RotationCloseReason?

    package init(keyID: KeyID, fromVersion: Int, toVersion: Int, rotatedAt: Date, quietPeriod: TimeInterval, hardMaximum: Date, extensions: Int = 0,
                 closedAt: Date? = nil, closeReason: RotationCloseReason? = nil) {
        self.keyID = keyID
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.rotatedAt = rotatedAt
        self.quietPeriod = quietPeriod
        self.hardMaximum = hardMaximum
        self.extensions = extensions
        self.closedAt = closedAt
        self.closeReason = closeReason
    }
}

extension Store {
    static let versionUsePrefix = "INSERT INTO key_version_sources (key_id, version, source_id, ip, user_agent, client_cert_subject, client_cert_thumbprint, first_seen, last_seen, count) VALUES "
    /// `last_seen` never moves back (a batch put back after a failed write may be older than one written since).
    static let versionUseSuffix = """
         ON CONFLICT (key_id, version, source_id) DO UPDATE SET count = key_version_sources.count + excluded.count, \
        last_seen = CASE WHEN excluded.last_seen > key_version_sources.last_seen THEN excluded.last_seen ELSE key_version_sources.last_seen END
        """

    private static let rotationColumns = "key_id, from_version, to_version, rotated_at, quiet_period_ms, hard_maximum_at, extensions, closed_at, close_reason"

    package func insertRotation(_ r: KeyRotationRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO key_rotations (\(unsafeRaw: Self.rotationColumns)) VALUES (\(bind: r.keyID.description), \(bind: Int64(r.fromVersion)), \(bind: Int64(r.toVersion)), \(bind: r.rotatedAt.unixMillis), \(bind: Int64((r.quietPeriod * 1000).rounded())), \(bind: r.hardMaximum.unixMillis), \(bind: Int64(r.extensions)), \(bind: r.closedAt?.unixMillis), \(bind: r.closeReason?.rawValue))
            """).run()
    }

    /// Records an extension or the close of a rotation (its window itself is the version's `grace_until`).
    package func updateRotation(_ r: KeyRotationRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            UPDATE key_rotations SET extensions = \(bind: Int64(r.extensions)), closed_at = \(bind: r.closedAt?.unixMillis), close_reason = \(bind: r.closeReason?.rawValue) WHERE key_id = \(bind: r.keyID.description) AND from_version = \(bind: Int64(r.fromVersion))
            """).run()
    }

    /// Rotations still open, oldest first.
    package func openRotations(limit: Int) async throws -> [KeyRotationRecord] {
        try await read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.rotationColumns) FROM key_rotations WHERE closed_at IS NULL ORDER BY rotated_at LIMIT \(unsafeRaw: String(limit))")
                .all().map(Self.decodeRotation)
        }
    }

    /// Whether any rotation is open (the scan stops at the first one).
    package func hasOpenRotations() async throws -> Bool {
        try await read { db in try await db.raw("SELECT 1 AS open FROM key_rotations WHERE closed_at IS NULL LIMIT 1").first() != nil }
    }

    package func rotation(of id: KeyID, from version: Int, in db: any SQLDatabase) async throws -> KeyRotationRecord? {
        try await db.raw("SELECT \(unsafeRaw: Self.rotationColumns) FROM key_rotations WHERE key_id = \(bind: id.description) AND from_version = \(bind: Int64(version))")
            .first().map(Self.decodeRotation)
    }

    /// The key's latest rotation (nil: never rotated since rotations were tracked).
    package func latestRotation(of id: KeyID, in db: any SQLDatabase) async throws -> KeyRotationRecord? {
        try await db.raw("SELECT \(unsafeRaw: Self.rotationColumns) FROM key_rotations WHERE key_id = \(bind: id.description) ORDER BY from_version DESC LIMIT 1")
            .first().map(Self.decodeRotation)
    }

    /// Each source's flushed use of the given versions of a key (at most 500 sources a version, most recent first).
    package func versionUse(of id: KeyID, versions: [Int], in db: any SQLDatabase) async throws -> [UsageBatch.VersionUse] {
        var out: [UsageBatch.VersionUse] = []
        for v in versions {
            out += try await db.raw("""
                SELECT source_id, ip, user_agent, client_cert_subject, client_cert_thumbprint, first_seen, last_seen, count FROM key_version_sources WHERE key_id = \(bind: id.description) AND version = \(bind: Int64(v)) ORDER BY last_seen DESC LIMIT 500
                """).all().map { UsageBatch.VersionUse(version: v, source: try Store.decodeSource($0)) }
        }
        return out
    }

    static func decodeRotation(_ r: any SQLRow) throws -> KeyRotationRecord {
        guard let id = KeyID(try r.decode(column: "key_id", as: String.self)) else { throw StoreError.corrupt("key rotation row") }
        let reason = try r.decode(column: "close_reason", as: String?.self)
        return KeyRotationRecord(
            keyID: id, fromVersion: Int(try r.decode(column: "from_version", as: Int64.self)), toVersion: Int(try r.decode(column: "to_version", as: Int64.self)),
            rotatedAt: Date(unixMillis: try r.decode(column: "rotated_at", as: Int64.self)),
            quietPeriod: TimeInterval(try r.decode(column: "quiet_period_ms", as: Int64.self)) / 1000,
            hardMaximum: Date(unixMillis: try r.decode(column: "hard_maximum_at", as: Int64.self)),
            extensions: Int(try r.decode(column: "extensions", as: Int64.self)),
            closedAt: try r.decode(column: "closed_at", as: Int64?.self).map(Date.init(unixMillis:)),
            closeReason: reason.flatMap(RotationCloseReason.init(rawValue:)))
    }
}
