import Foundation
import KeywardCore
import SQLKit

package struct KeyFilter: Sendable {
    package var identityID: IdentityID?
    package var status: KeyStatus?
    package var environment: KeyEnvironment?
    package init(identityID: IdentityID? = nil, status: KeyStatus? = nil, environment: KeyEnvironment? = nil) {
        self.identityID = identityID
        self.status = status
        self.environment = environment
    }
}

extension Store {
    static let keyColumns = "id, identity_id, name, environment, scopes, status, current_version, created_at, updated_at, revoked_at, revoke_reason, last_used_at, rate_limit"

    package func insertKey(_ k: APIKey, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO api_keys (\(unsafeRaw: Store.keyColumns)) VALUES (\(bind: k.id.description), \(bind: k.identityID.description), \(bind: k.name), \(bind: k.environment.rawValue), \(bind: JSONColumn.encode(k.scopes.map(\.value))), \(bind: k.status.rawValue), \(bind: Int64(k.currentVersion)), \(bind: k.createdAt.unixMillis), \(bind: k.updatedAt.unixMillis), \(bind: k.revokedAt?.unixMillis), \(bind: k.revokeReason), \(bind: k.lastUsedAt?.unixMillis), \(bind: JSONColumn.encodeRateLimit(k.rateLimit)))
            """).run()
        for v in k.versions { try await insertVersion(v, of: k.id, in: tx) }
        tx.changed(.key(k))
    }

    package func insertVersion(_ v: KeyVersion, of id: KeyID, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO api_key_versions (key_id, version, digest, fingerprint, prefix, expires_at, created_at, grace_until, possession_check) VALUES (\(bind: id.description), \(bind: Int64(v.version)), \(bind: v.digest.hex), \(bind: v.fingerprint.hex), \(bind: v.prefix), \(bind: v.expiresAt?.unixMillis), \(bind: v.createdAt.unixMillis), \(bind: v.graceUntil?.unixMillis), \(bind: v.possessionCheck?.hex))
            """).run()
    }

    /// Writes a key's mutable columns and every version's grace; publishes the new state.
    package func updateKey(_ k: APIKey, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            UPDATE api_keys SET status = \(bind: k.status.rawValue), current_version = \(bind: Int64(k.currentVersion)), updated_at = \(bind: k.updatedAt.unixMillis), revoked_at = \(bind: k.revokedAt?.unixMillis), revoke_reason = \(bind: k.revokeReason), rate_limit = \(bind: JSONColumn.encodeRateLimit(k.rateLimit)) WHERE id = \(bind: k.id.description)
            """).run()
        for v in k.versions {
            try await tx.db.raw("UPDATE api_key_versions SET grace_until = \(bind: v.graceUntil?.unixMillis) WHERE key_id = \(bind: k.id.description) AND version = \(bind: Int64(v.version))").run()
        }
        tx.changed(.key(k))
    }

    package func key(_ id: KeyID, in db: any SQLDatabase) async throws -> APIKey? {
        guard let row = try await db.raw("SELECT \(unsafeRaw: Store.keyColumns) FROM api_keys WHERE id = \(bind: id.description)").first() else {
            return nil
        }
        var k = try Store.decodeKey(row)
        k.versions = try await db.raw("SELECT key_id, version, digest, fingerprint, prefix, expires_at, created_at, grace_until FROM api_key_versions WHERE key_id = \(bind: id.description) ORDER BY version")
            .all().map { try Store.decodeVersion($0).1 }
        return k
    }

    package func key(_ id: KeyID) async throws -> APIKey? {
        try await read { try await self.key(id, in: $0) }
    }

    package func keyIDs(of identity: IdentityID, in db: any SQLDatabase) async throws -> [KeyID] {
        try await db.raw("SELECT id FROM api_keys WHERE identity_id = \(bind: identity.description) ORDER BY id").all()
            .compactMap { KeyID(try $0.decode(column: "id", as: String.self)) }
    }

    package func listKeys(_ f: KeyFilter, limit: Int, after cursor: String?) async throws -> Page<APIKey> {
        try await read { db in
            var q = SQLQueryString("SELECT \(unsafeRaw: Store.keyColumns) FROM api_keys WHERE 1 = 1")
            if let i = f.identityID { q.appendInterpolation(unsafeRaw: " AND identity_id = "); q.appendInterpolation(bind: i.description) }
            if let s = f.status { q.appendInterpolation(unsafeRaw: " AND status = "); q.appendInterpolation(bind: s.rawValue) }
            if let e = f.environment { q.appendInterpolation(unsafeRaw: " AND environment = "); q.appendInterpolation(bind: e.rawValue) }
            if let c = cursor { q.appendInterpolation(unsafeRaw: " AND id > "); q.appendInterpolation(bind: c) }
            q.appendInterpolation(unsafeRaw: " ORDER BY id LIMIT \(limit + 1)")
            let rows = try await db.raw(q).all()
            var keys: [APIKey] = []
            for row in rows.prefix(limit) {
                var k = try Store.decodeKey(row)
                k.versions = try await db.raw("SELECT key_id, version, digest, fingerprint, prefix, expires_at, created_at, grace_until FROM api_key_versions WHERE key_id = \(bind: k.id.description) ORDER BY version")
                    .all().map { try Store.decodeVersion($0).1 }
                keys.append(k)
            }
            return Page(items: keys, nextCursor: rows.count > limit ? keys.last.map { PageCursor.encode($0.id.description) } : nil)
        }
    }

    /// Streams every key with its versions in pages (for the verify index at start-up).
    package func forEachKey(pageSize: Int = 5_000, _ body: ([APIKey]) throws -> Void) async throws {
        var after = ""
        while true {
            let page: [APIKey] = try await read { db in
                let rows = try await db.raw("SELECT \(unsafeRaw: Store.keyColumns) FROM api_keys WHERE id > \(bind: after) ORDER BY id LIMIT \(unsafeRaw: String(pageSize))").all()
                guard let first = rows.first, let last = rows.last else { return [] }
                let lo = try first.decode(column: "id", as: String.self)
                let hi = try last.decode(column: "id", as: String.self)
                var byID: [String: APIKey] = [:]
                var order: [String] = []
                for r in rows { let k = try Store.decodeKey(r); byID[k.id.description] = k; order.append(k.id.description) }
                let vrows = try await db.raw("SELECT key_id, version, digest, fingerprint, prefix, expires_at, created_at, grace_until FROM api_key_versions WHERE key_id >= \(bind: lo) AND key_id <= \(bind: hi) ORDER BY key_id, version").all()
                for vr in vrows {
                    let (kid, v) = try Store.decodeVersion(vr)
                    byID[kid]?.versions.append(v)
                }
                return order.compactMap { byID[$0] }
            }
            guard let last = page.last else { return }
            try body(page)
            after = last.id.description
            if page.count < pageSize { return }
        }
    }

    static func decodeKey(_ row: any SQLRow) throws -> APIKey {
        guard let id = KeyID(try row.decode(column: "id", as: String.self)),
              let iid = IdentityID(try row.decode(column: "identity_id", as: String.self)),
              let env = KeyEnvironment(rawValue: try row.decode(column: "environment", as: String.self)),
              let status = KeyStatus(rawValue: try row.decode(column: "status", as: String.self))
        else { throw StoreError.corrupt("key row") }
        return APIKey(
            id: id, identityID: iid, name: try row.decode(column: "name", as: String?.self), environment: env,
            scopes: try JSONColumn.decode([String].self, from: try row.decode(column: "scopes", as: String.self)).compactMap(Scope.init),
            status: status, currentVersion: Int(try row.decode(column: "current_version", as: Int64.self)),
            createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(unixMillis: try row.decode(column: "updated_at", as: Int64.self)),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(unixMillis:)),
            revokeReason: try row.decode(column: "revoke_reason", as: String?.self),
            lastUsedAt: try row.decode(column: "last_used_at", as: Int64?.self).map(Date.init(unixMillis:)),
            versions: [],
            rateLimit: try JSONColumn.decodeRateLimit(try row.decode(column: "rate_limit", as: String?.self))
        )
    }

    static func decodeVersion(_ row: any SQLRow) throws -> (String, KeyVersion) {
        guard let digest = SecretDigest(hex: try row.decode(column: "digest", as: String.self)) else {
            throw StoreError.corrupt("key version digest")
        }
        let v = KeyVersion(
            version: Int(try row.decode(column: "version", as: Int64.self)), digest: digest,
            fingerprint: Fingerprint(hex: try row.decode(column: "fingerprint", as: String.self)),
            prefix: try row.decode(column: "prefix", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self).map(Date.init(unixMillis:)),
            createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
            graceUntil: try row.decode(column: "grace_until", as: Int64?.self).map(Date.init(unixMillis:))
        )
        return (try row.decode(column: "key_id", as: String.self), v)
    }

    /// The key version with this SHA-256 digest, if any, with its possession check (nil for
    /// versions issued before checks were kept).
    package func keyVersion(digest: SecretDigest, in db: any SQLDatabase) async throws -> (id: KeyID, version: Int, possessionCheck: SecretDigest?)? {
        guard let r = try await db.raw("SELECT key_id, version, possession_check FROM api_key_versions WHERE digest = \(bind: digest.hex)").first(),
              let id = KeyID(try r.decode(column: "key_id", as: String.self)) else { return nil }
        let check = try r.decode(column: "possession_check", as: String?.self).flatMap(SecretDigest.init(hex:))
        return (id, Int(try r.decode(column: "version", as: Int64.self)), check)
    }
}
