import Foundation
import KeywardCore
import SQLKit

/// An active key no valid verify has used since a cutoff, with what its owner needs to act.
package struct DormantKey: Sendable {
    package var key: APIKey
    package var prefix: String
    package var expiresAt: Date?
    package var identityName: String
    package var businessOwner: String?
    package var technicalOwner: String?
}

/// What the telemetry holds about one key's use since a moment.
package struct ScopeEvidence: Sendable {
    /// Valid verifies from the hour containing the moment on.
    package var validUses: Int64
    /// Every scope its valid verifies named, ever (`ScopeObservation.lastSeen` places it).
    package var observations: [ScopeObservation]
    /// The key it was derived from, if any.
    package var derivedFrom: KeyID?
}

extension Store {
    package func scopeEvidence(of id: KeyID, since: Date, in db: any SQLDatabase) async throws -> ScopeEvidence {
        ScopeEvidence(validUses: try await validUses(of: id, since: since, in: db), observations: try await scopeObservations(of: id, in: db),
                      derivedFrom: try await derivedParent(of: .key(id), in: db)?.keyID)
    }

    /// Every scope a key's valid verifies named (the running counts of `key_scope_usage`).
    package func scopeObservations(of id: KeyID, in db: any SQLDatabase) async throws -> [ScopeObservation] {
        try await db.raw("SELECT scope, count, first_seen, last_seen FROM key_scope_usage WHERE key_id = \(bind: id.description) ORDER BY scope").all().compactMap { r in
            guard let scope = Scope(try r.decode(column: "scope", as: String.self)) else { return nil }
            return ScopeObservation(scope: scope, uses: try r.decode(column: "count", as: Int64.self),
                                    firstSeen: Date(unixMillis: try r.decode(column: "first_seen", as: Int64.self)),
                                    lastSeen: Date(unixMillis: try r.decode(column: "last_seen", as: Int64.self)))
        }
    }

    /// Valid verifies of a key from the hour containing `since` on (hourly telemetry).
    package func validUses(of id: KeyID, since: Date, in db: any SQLDatabase) async throws -> Int64 {
        let row = try await db.raw("SELECT CAST(COALESCE(sum(count), 0) AS BIGINT) AS n FROM key_usage_hourly WHERE key_id = \(bind: id.description) AND outcome = 'valid' AND hour >= \(bind: since.unixMillis / 3_600_000)").first()
        return try row?.decode(column: "n", as: Int64.self) ?? 0
    }

    /// Writes a key's scopes (a narrowing) with its other mutable columns, and publishes the
    /// new state to the change feed, so the verify index refuses a removed scope at once.
    package func updateKeyScopes(_ k: APIKey, in tx: WriteTransaction) async throws {
        try await tx.db.raw("UPDATE api_keys SET scopes = \(bind: JSONColumn.encode(k.scopes.map(\.value))) WHERE id = \(bind: k.id.description)").run()
        try await updateKey(k, in: tx)
    }

    /// Active keys whose current version has not expired at `now` and that no valid verify
    /// used since `cutoff` (a key never used counts from its creation), by id. Keys of
    /// `excluding` (Keyward's own, whose management use is not recorded) are left out.
    package func dormantKeys(cutoff: Date, now: Date, identity: IdentityID?, excluding: IdentityID, limit: Int, after cursor: String?) async throws -> Page<DormantKey> {
        try await read { db in
            var q = SQLQueryString("""
                SELECT k.id, k.identity_id, k.name, k.environment, k.scopes, k.status, k.current_version, k.created_at, k.updated_at, k.revoked_at, k.revoke_reason, k.last_used_at, k.rate_limit, v.prefix, v.expires_at, i.name AS identity_name, i.business_owner, i.technical_owner FROM api_keys k JOIN api_key_versions v ON v.key_id = k.id AND v.version = k.current_version JOIN identities i ON i.id = k.identity_id WHERE k.status = 'active' AND (v.expires_at IS NULL OR v.expires_at > \(bind: now.unixMillis)) AND COALESCE(k.last_used_at, k.created_at) < \(bind: cutoff.unixMillis) AND k.identity_id <> \(bind: excluding.description)
                """)
            if let i = identity { q.appendInterpolation(unsafeRaw: " AND k.identity_id = "); q.appendInterpolation(bind: i.description) }
            if let c = cursor { q.appendInterpolation(unsafeRaw: " AND k.id > "); q.appendInterpolation(bind: c) }
            q.appendInterpolation(unsafeRaw: " ORDER BY k.id LIMIT \(limit + 1)")
            let rows = try await db.raw(q).all()
            let items = try rows.prefix(limit).map { r in
                DormantKey(key: try Store.decodeKey(r), prefix: try r.decode(column: "prefix", as: String.self),
                           expiresAt: try r.decode(column: "expires_at", as: Int64?.self).map(Date.init(unixMillis:)),
                           identityName: try r.decode(column: "identity_name", as: String.self),
                           businessOwner: try r.decode(column: "business_owner", as: String?.self),
                           technicalOwner: try r.decode(column: "technical_owner", as: String?.self))
            }
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { PageCursor.encode($0.key.id.description) } : nil)
        }
    }
}
