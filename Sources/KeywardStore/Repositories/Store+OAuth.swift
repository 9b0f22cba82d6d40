import Foundation
import KeywardCore
import SQLKit

/// A replay-cache key: the scope (`assertion:<client>`, `dpop:<jkt>`) and the `jti`.
package struct ReplayKey: Hashable, Sendable {
    package var scope: String
    package var jti: String
    package init(scope: String, jti: String) {
        self.scope = scope
        self.jti = jti
    }
}

/// OAuth clients, issued access tokens, the `jti` replay caches and the token-signing keys.
extension Store {
    static let clientColumns = "id, identity_id, name, auth_method, public_keys, key_thumbprints, scopes, environment, dpop_bound, certificate_bound, status, created_at, updated_at, revoked_at, revoke_reason, tls_subject_dn, tls_san_dns, jwks_uri, tls_ca_thumbprint, workload_trust"

    // MARK: clients

    package func insertClient(_ c: OAuthClient, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO oauth_clients (\(unsafeRaw: Store.clientColumns)) VALUES (\(bind: c.id.description), \(bind: c.identityID.description), \(bind: c.name), \(bind: c.authMethod.rawValue), \(bind: JSONColumn.encode(c.publicKeys)), \(bind: JSONColumn.encode(c.keyThumbprints)), \(bind: JSONColumn.encode(c.scopes.map(\.value))), \(bind: c.environment.rawValue), \(bind: c.dpopBoundTokens ? 1 : 0), \(bind: c.certificateBoundTokens ? 1 : 0), \(bind: c.status.rawValue), \(bind: c.createdAt.unixMillis), \(bind: c.updatedAt.unixMillis), \(bind: c.revokedAt?.unixMillis), \(bind: c.revokeReason), \(bind: c.tlsSubjectDN), \(bind: c.tlsSANDNS), \(bind: c.jwksURI), \(bind: c.tlsCAThumbprint), \(bind: c.workloadTrust.map(JSONColumn.encode)))
            """).run()
        for t in Set(c.keyThumbprints) {
            try await tx.db.raw("INSERT INTO oauth_client_keys (thumbprint, client_id) VALUES (\(bind: t), \(bind: c.id.description))").run()
        }
        tx.changed(.client(c))
    }

    /// Adds public keys (JSON text and RFC 7638 thumbprint) to a client's registered set, in the
    /// caller's transaction; keys it already holds are skipped. Returns the client as stored, or nil
    /// when it is unknown or nothing was new.
    package func addClientKeys(_ id: OAuthClientID, keys: [(json: String, thumbprint: String)], in tx: WriteTransaction) async throws -> OAuthClient? {
        guard var c = try await client(id, in: tx.db) else { return nil }
        let new = keys.filter { !c.keyThumbprints.contains($0.thumbprint) }
        guard !new.isEmpty else { return nil }
        c.publicKeys += new.map(\.json)
        c.keyThumbprints += new.map(\.thumbprint)
        c.updatedAt = tx.now
        try await tx.db.raw("""
            UPDATE oauth_clients SET public_keys = \(bind: JSONColumn.encode(c.publicKeys)), key_thumbprints = \(bind: JSONColumn.encode(c.keyThumbprints)), updated_at = \(bind: c.updatedAt.unixMillis) WHERE id = \(bind: id.description)
            """).run()
        for t in Set(new.map(\.thumbprint)) {
            try await tx.db.raw("INSERT INTO oauth_client_keys (thumbprint, client_id) VALUES (\(bind: t), \(bind: id.description))").run()
        }
        tx.changed(.client(c))
        return c
    }

    /// Marks a client revoked and every token it holds revoked with it, in the caller's transaction.
    /// Returns how many live tokens died.
    @discardableResult
    package func revokeClient(_ c: OAuthClient, reason: String, in tx: WriteTransaction) async throws -> Int {
        var c = c
        c.status = .revoked
        c.revokedAt = tx.now
        c.revokeReason = reason
        c.updatedAt = tx.now
        try await tx.db.raw("""
            UPDATE oauth_clients SET status = \(bind: c.status.rawValue), updated_at = \(bind: c.updatedAt.unixMillis), revoked_at = \(bind: c.revokedAt?.unixMillis), revoke_reason = \(bind: reason) WHERE id = \(bind: c.id.description)
            """).run()
        let live = try await tx.db.raw("SELECT COUNT(*) AS n FROM oauth_tokens WHERE client_id = \(bind: c.id.description) AND revoked_at IS NULL AND expires_at > \(bind: tx.now.unixMillis)")
            .first()?.decode(column: "n", as: Int64.self) ?? 0
        try await tx.db.raw("""
            UPDATE oauth_tokens SET revoked_at = \(bind: tx.now.unixMillis), revoke_reason = \(bind: "client_revoked") WHERE client_id = \(bind: c.id.description) AND revoked_at IS NULL
            """).run()
        // One change for the client covers its tokens: readers treat a revoked client's tokens as revoked.
        tx.changed(.client(c))
        return Int(live)
    }

    package func client(_ id: OAuthClientID, in db: any SQLDatabase) async throws -> OAuthClient? {
        try await db.raw("SELECT \(unsafeRaw: Store.clientColumns) FROM oauth_clients WHERE id = \(bind: id.description)").first().map(Store.decodeClient)
    }

    package func client(_ id: OAuthClientID) async throws -> OAuthClient? {
        try await read { try await self.client(id, in: $0) }
    }

    package func clients(of identity: IdentityID, in db: any SQLDatabase) async throws -> [OAuthClient] {
        try await db.raw("SELECT \(unsafeRaw: Store.clientColumns) FROM oauth_clients WHERE identity_id = \(bind: identity.description) ORDER BY id").all().map(Store.decodeClient)
    }

    /// Clients holding a public key with this RFC 7638 thumbprint (a leaked private key's public half).
    package func clients(keyThumbprint: String, in db: any SQLDatabase) async throws -> [OAuthClient] {
        try await db.raw("""
            SELECT \(unsafeRaw: Store.clientColumns) FROM oauth_clients WHERE id IN (SELECT client_id FROM oauth_client_keys WHERE thumbprint = \(bind: thumbprintKey(keyThumbprint))) ORDER BY id
            """).all().map(Store.decodeClient)
    }

    private func thumbprintKey(_ t: String) -> String { String(t.prefix(128)) }

    package func listClients(identity: IdentityID?, limit: Int, after cursor: String?) async throws -> Page<OAuthClient> {
        try await read { db in
            var q = SQLQueryString("SELECT \(unsafeRaw: Store.clientColumns) FROM oauth_clients WHERE 1 = 1")
            if let i = identity { q.appendInterpolation(unsafeRaw: " AND identity_id = "); q.appendInterpolation(bind: i.description) }
            if let c = cursor { q.appendInterpolation(unsafeRaw: " AND id > "); q.appendInterpolation(bind: c) }
            q.appendInterpolation(unsafeRaw: " ORDER BY id LIMIT \(limit + 1)")
            let rows = try await db.raw(q).all()
            let items = try rows.prefix(limit).map(Store.decodeClient)
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { PageCursor.encode($0.id.description) } : nil)
        }
    }

    /// Streams every client in pages (for the token index at start-up and after a feed gap).
    package func forEachClient(pageSize: Int = 5_000, _ body: ([OAuthClient]) throws -> Void) async throws {
        var after = ""
        while true {
            let page = try await read { db in
                try await db.raw("SELECT \(unsafeRaw: Store.clientColumns) FROM oauth_clients WHERE id > \(bind: after) ORDER BY id LIMIT \(unsafeRaw: String(pageSize))")
                    .all().map(Store.decodeClient)
            }
            guard let last = page.last else { return }
            try body(page)
            after = last.id.description
            if page.count < pageSize { return }
        }
    }

    static func decodeClient(_ row: any SQLRow) throws -> OAuthClient {
        guard let id = OAuthClientID(try row.decode(column: "id", as: String.self)),
              let iid = IdentityID(try row.decode(column: "identity_id", as: String.self)),
              let method = ClientAuthMethod(rawValue: try row.decode(column: "auth_method", as: String.self)),
              let env = KeyEnvironment(rawValue: try row.decode(column: "environment", as: String.self)),
              let status = ClientStatus(rawValue: try row.decode(column: "status", as: String.self))
        else { throw StoreError.corrupt("client row") }
        return OAuthClient(
            id: id, identityID: iid, name: try row.decode(column: "name", as: String?.self), authMethod: method,
            publicKeys: try JSONColumn.decode([String].self, from: try row.decode(column: "public_keys", as: String.self)),
            keyThumbprints: try JSONColumn.decode([String].self, from: try row.decode(column: "key_thumbprints", as: String.self)),
            scopes: try JSONColumn.decode([String].self, from: try row.decode(column: "scopes", as: String.self)).compactMap(Scope.init),
            environment: env,
            dpopBoundTokens: try row.decode(column: "dpop_bound", as: Int64.self) != 0,
            certificateBoundTokens: try row.decode(column: "certificate_bound", as: Int64.self) != 0,
            status: status,
            createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(unixMillis: try row.decode(column: "updated_at", as: Int64.self)),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(unixMillis:)),
            revokeReason: try row.decode(column: "revoke_reason", as: String?.self),
            tlsSubjectDN: try row.decode(column: "tls_subject_dn", as: String?.self),
            tlsSANDNS: try row.decode(column: "tls_san_dns", as: String?.self),
            jwksURI: try row.decode(column: "jwks_uri", as: String?.self),
            tlsCAThumbprint: try row.decode(column: "tls_ca_thumbprint", as: String?.self),
            workloadTrust: try row.decode(column: "workload_trust", as: String?.self).map { try JSONColumn.decode(WorkloadTrustSpec.self, from: $0) })
    }

    // MARK: tokens

    static let tokenColumns = "id, client_id, identity_id, scopes, digest, binding, issued_at, expires_at, revoked_at, revoke_reason"

    package func insertAccessToken(_ t: AccessTokenRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO oauth_tokens (\(unsafeRaw: Store.tokenColumns)) VALUES (\(bind: t.id.description), \(bind: t.clientID.description), \(bind: t.identityID.description), \(bind: JSONColumn.encode(t.scopes.map(\.value))), \(bind: t.digest.hex), \(bind: t.binding), \(bind: t.issuedAt.unixMillis), \(bind: t.expiresAt.unixMillis), \(bind: t.revokedAt?.unixMillis), \(bind: t.revokeReason))
            """).run()
    }

    /// Revokes one token (a no-op for one already revoked); publishes it so verify stops at once.
    package func revokeAccessToken(_ t: AccessTokenRecord, reason: String, in tx: WriteTransaction) async throws -> AccessTokenRecord {
        guard t.revokedAt == nil else { return t }
        var t = t
        t.revokedAt = tx.now
        t.revokeReason = reason
        try await tx.db.raw("UPDATE oauth_tokens SET revoked_at = \(bind: tx.now.unixMillis), revoke_reason = \(bind: reason) WHERE id = \(bind: t.id.description) AND revoked_at IS NULL").run()
        tx.changed(.token(t))
        return t
    }

    package func accessToken(_ id: AccessTokenID, in db: any SQLDatabase) async throws -> AccessTokenRecord? {
        try await db.raw("SELECT \(unsafeRaw: Store.tokenColumns) FROM oauth_tokens WHERE id = \(bind: id.description)").first().map(Store.decodeToken)
    }

    package func accessToken(_ id: AccessTokenID) async throws -> AccessTokenRecord? {
        try await read { try await self.accessToken(id, in: $0) }
    }

    package func accessToken(digest: SecretDigest, in db: any SQLDatabase) async throws -> AccessTokenRecord? {
        try await db.raw("SELECT \(unsafeRaw: Store.tokenColumns) FROM oauth_tokens WHERE digest = \(bind: digest.hex)").first().map(Store.decodeToken)
    }

    /// Tokens revoked before their expiry that have not expired yet (what a verify index must know).
    package func revokedLiveTokens() async throws -> [AccessTokenRecord] {
        let now = clock.now().unixMillis
        return try await read { db in
            try await db.raw("SELECT \(unsafeRaw: Store.tokenColumns) FROM oauth_tokens WHERE revoked_at IS NOT NULL AND expires_at > \(bind: now) AND revoke_reason <> \(bind: "client_revoked")")
                .all().map(Store.decodeToken)
        }
    }

    /// Live tokens a client holds (for blast radius and the client's page).
    package func liveTokenCount(of client: OAuthClientID, in db: any SQLDatabase, now: Date) async throws -> Int {
        Int(try await db.raw("SELECT COUNT(*) AS n FROM oauth_tokens WHERE client_id = \(bind: client.description) AND revoked_at IS NULL AND expires_at > \(bind: now.unixMillis)")
            .first()?.decode(column: "n", as: Int64.self) ?? 0)
    }

    /// A client's live tokens, newest first (its blast radius).
    package func liveTokens(of client: OAuthClientID, limit: Int, in db: any SQLDatabase, now: Date) async throws -> [AccessTokenRecord] {
        try await db.raw("""
            SELECT \(unsafeRaw: Store.tokenColumns) FROM oauth_tokens WHERE client_id = \(bind: client.description) AND revoked_at IS NULL AND expires_at > \(bind: now.unixMillis) ORDER BY issued_at DESC LIMIT \(unsafeRaw: String(limit))
            """).all().map(Store.decodeToken)
    }

    static func decodeToken(_ row: any SQLRow) throws -> AccessTokenRecord {
        guard let id = AccessTokenID(try row.decode(column: "id", as: String.self)),
              let cid = OAuthClientID(try row.decode(column: "client_id", as: String.self)),
              let iid = IdentityID(try row.decode(column: "identity_id", as: String.self)),
              let digest = SecretDigest(hex: try row.decode(column: "digest", as: String.self))
        else { throw StoreError.corrupt("token row") }
        return AccessTokenRecord(
            id: id, clientID: cid, identityID: iid,
            scopes: try JSONColumn.decode([String].self, from: try row.decode(column: "scopes", as: String.self)).compactMap(Scope.init),
            digest: digest, binding: try row.decode(column: "binding", as: String?.self),
            issuedAt: Date(unixMillis: try row.decode(column: "issued_at", as: Int64.self)),
            expiresAt: Date(unixMillis: try row.decode(column: "expires_at", as: Int64.self)),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(unixMillis:)),
            revokeReason: try row.decode(column: "revoke_reason", as: String?.self))
    }

    // MARK: replay caches

    /// Records a one-time `jti` under `scope` (`assertion:<client>`, `dpop:<jkt>`) until `expiresAt`.
    /// False when it was already recorded: a replay, on any node sharing this store. Expired rows are
    /// pruned as it goes.
    package func recordOnce(scope: String, jti: String, expiresAt: Date, in tx: WriteTransaction) async throws -> Bool {
        let inserted = try await tx.db.raw("""
            INSERT INTO oauth_replay (scope, jti, expires_at) VALUES (\(bind: scope), \(bind: jti), \(bind: expiresAt.unixMillis)) ON CONFLICT (scope, jti) DO NOTHING RETURNING jti
            """).first()
        return inserted != nil
    }

    /// `recordOnce` for many keys in one statement: returns the keys (`scope`, `jti`) that were new.
    /// The caller gives each key once (a key repeated within one call would be inserted once and
    /// reported new for both).
    package func recordOnce(_ entries: [(scope: String, jti: String, expiresAt: Date)], in tx: WriteTransaction) async throws -> Set<ReplayKey> {
        guard !entries.isEmpty else { return [] }
        var q = SQLQueryString("INSERT INTO oauth_replay (scope, jti, expires_at) VALUES ")
        for (i, e) in entries.enumerated() {
            q.appendInterpolation(unsafeRaw: i == 0 ? "(" : ", (")
            q.appendInterpolation(bind: e.scope)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: e.jti)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: e.expiresAt.unixMillis)
            q.appendInterpolation(unsafeRaw: ")")
        }
        q.appendInterpolation(unsafeRaw: " ON CONFLICT (scope, jti) DO NOTHING RETURNING scope, jti")
        var new = Set<ReplayKey>()
        for row in try await tx.db.raw(q).all() {
            new.insert(ReplayKey(scope: try row.decode(column: "scope", as: String.self), jti: try row.decode(column: "jti", as: String.self)))
        }
        return new
    }

    /// Many issued tokens in one statement.
    package func insertAccessTokens(_ tokens: [AccessTokenRecord], in tx: WriteTransaction) async throws {
        guard !tokens.isEmpty else { return }
        var q = SQLQueryString("INSERT INTO oauth_tokens (\(unsafeRaw: Store.tokenColumns)) VALUES ")
        for (i, t) in tokens.enumerated() {
            q.appendInterpolation(unsafeRaw: i == 0 ? "(" : ", (")
            q.appendInterpolation(bind: t.id.description)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.clientID.description)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.identityID.description)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: JSONColumn.encode(t.scopes.map(\.value)))
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.digest.hex)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.binding)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.issuedAt.unixMillis)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.expiresAt.unixMillis)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.revokedAt?.unixMillis)
            q.appendInterpolation(unsafeRaw: ", ")
            q.appendInterpolation(bind: t.revokeReason)
            q.appendInterpolation(unsafeRaw: ")")
        }
        try await tx.db.raw(q).run()
    }

    /// Deletes replay entries past their expiry, and token rows a day after theirs (kept that long
    /// for incidents and the blast radius; a dead token needs no row to stay dead).
    package func pruneOAuth(now: Date) async throws {
        try await write { tx in
            try await tx.db.raw("DELETE FROM oauth_replay WHERE expires_at < \(bind: now.unixMillis)").run()
            try await tx.db.raw("DELETE FROM oauth_tokens WHERE expires_at < \(bind: now.unixMillis - 86_400_000)").run()
        }
    }

    // MARK: signing keys

    package func signingKeys(in db: any SQLDatabase) async throws -> [SigningKeyRecord] {
        try await db.raw("SELECT kid, sealed_private_key, created_at, retired_at, publish_until FROM oauth_signing_keys ORDER BY created_at, kid").all().map { row in
            SigningKeyRecord(
                kid: try row.decode(column: "kid", as: String.self),
                sealedPrivateKey: try row.decode(column: "sealed_private_key", as: String.self),
                createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
                retiredAt: try row.decode(column: "retired_at", as: Int64?.self).map(Date.init(unixMillis:)),
                publishUntil: try row.decode(column: "publish_until", as: Int64?.self).map(Date.init(unixMillis:)))
        }
    }

    package func signingKeys() async throws -> [SigningKeyRecord] {
        try await read { try await self.signingKeys(in: $0) }
    }

    package func insertSigningKey(_ k: SigningKeyRecord, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO oauth_signing_keys (kid, sealed_private_key, created_at, retired_at, publish_until) VALUES (\(bind: k.kid), \(bind: k.sealedPrivateKey), \(bind: k.createdAt.unixMillis), \(bind: k.retiredAt?.unixMillis), \(bind: k.publishUntil?.unixMillis))
            """).run()
        tx.changed(.signingKeys)
    }

    package func retireSigningKey(_ kid: String, publishUntil: Date, in tx: WriteTransaction) async throws {
        try await tx.db.raw("UPDATE oauth_signing_keys SET retired_at = \(bind: tx.now.unixMillis), publish_until = \(bind: publishUntil.unixMillis) WHERE kid = \(bind: kid) AND retired_at IS NULL").run()
        tx.changed(.signingKeys)
    }
}
