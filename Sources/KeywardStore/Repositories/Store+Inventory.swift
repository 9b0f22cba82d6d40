import Foundation
import KeywardCore
import SQLKit

/// Imported third-party credentials, declared consumers, and derived-credential links.
extension Store {
    static let credentialColumns = "id, identity_id, name, provider, rule_id, environment, fingerprint, digest, prefix, origin, status, created_at, updated_at"

    /// Inserts a credential unless the identity already holds one with the same fingerprint;
    /// returns the stored one and whether it was new.
    package func insertCredential(_ c: Credential, in tx: WriteTransaction) async throws -> (Credential, Bool) {
        if let row = try await tx.db.raw("SELECT \(unsafeRaw: Store.credentialColumns) FROM credentials WHERE identity_id = \(bind: c.identityID.description) AND fingerprint = \(bind: c.fingerprint.hex)").first() {
            return (try Store.decodeCredential(row), false)
        }
        try await tx.db.raw("""
            INSERT INTO credentials (\(unsafeRaw: Store.credentialColumns)) VALUES (\(bind: c.id.description), \(bind: c.identityID.description), \(bind: c.name), \(bind: c.provider), \(bind: c.ruleID), \(bind: c.environment), \(bind: c.fingerprint.hex), \(bind: c.digest?.hex), \(bind: c.prefix), \(bind: c.origin), \(bind: c.status.rawValue), \(bind: c.createdAt.unixMillis), \(bind: c.updatedAt.unixMillis))
            """).run()
        return (c, true)
    }

    package func setCredentialStatus(_ id: CredentialID, _ status: CredentialStatus, in tx: WriteTransaction) async throws {
        try await tx.db.raw("UPDATE credentials SET status = \(bind: status.rawValue), updated_at = \(bind: tx.now.unixMillis) WHERE id = \(bind: id.description)").run()
    }

    package func credential(_ id: CredentialID, in db: any SQLDatabase) async throws -> Credential? {
        try await db.raw("SELECT \(unsafeRaw: Store.credentialColumns) FROM credentials WHERE id = \(bind: id.description)").first().map(Store.decodeCredential)
    }

    package func credential(_ id: CredentialID) async throws -> Credential? {
        try await read { try await self.credential(id, in: $0) }
    }

    /// Credentials whose SHA-256 digest or HMAC fingerprint is the given one.
    package func credentials(digest: SecretDigest?, fingerprint: Fingerprint?, in db: any SQLDatabase) async throws -> [Credential] {
        var out: [Credential] = []
        if let digest {
            out += try await db.raw("SELECT \(unsafeRaw: Store.credentialColumns) FROM credentials WHERE digest = \(bind: digest.hex) ORDER BY id").all().map(Store.decodeCredential)
        }
        if let fingerprint {
            for c in try await db.raw("SELECT \(unsafeRaw: Store.credentialColumns) FROM credentials WHERE fingerprint = \(bind: fingerprint.hex) ORDER BY id").all().map(Store.decodeCredential)
            where !out.contains(where: { $0.id == c.id }) {
                out.append(c)
            }
        }
        return out
    }

    package func listCredentials(identity: IdentityID?, limit: Int, after cursor: String?) async throws -> Page<Credential> {
        try await read { db in
            var q = SQLQueryString("SELECT \(unsafeRaw: Store.credentialColumns) FROM credentials WHERE id > \(bind: cursor ?? "")")
            if let identity { q.appendInterpolation(unsafeRaw: " AND identity_id = "); q.appendInterpolation(bind: identity.description) }
            q.appendInterpolation(unsafeRaw: " ORDER BY id LIMIT \(limit + 1)")
            var items = try await db.raw(q).all().map(Store.decodeCredential)
            let more = items.count > limit
            if more { items.removeLast() }
            return Page(items: items, nextCursor: more ? items.last.map { PageCursor.encode($0.id.description) } : nil)
        }
    }

    static func decodeCredential(_ row: any SQLRow) throws -> Credential {
        guard let id = CredentialID(try row.decode(column: "id", as: String.self)),
              let iid = IdentityID(try row.decode(column: "identity_id", as: String.self)),
              let status = CredentialStatus(rawValue: try row.decode(column: "status", as: String.self))
        else { throw StoreError.corrupt("credential row") }
        return Credential(
            id: id, identityID: iid, name: try row.decode(column: "name", as: String.self),
            provider: try row.decode(column: "provider", as: String.self), ruleID: try row.decode(column: "rule_id", as: String?.self),
            environment: try row.decode(column: "environment", as: String.self),
            fingerprint: Fingerprint(hex: try row.decode(column: "fingerprint", as: String.self)),
            digest: try row.decode(column: "digest", as: String?.self).flatMap { SecretDigest(hex: $0) },
            prefix: try row.decode(column: "prefix", as: String.self), origin: try row.decode(column: "origin", as: String.self),
            status: status, createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(unixMillis: try row.decode(column: "updated_at", as: Int64.self)))
    }

    // MARK: consumers

    package func insertConsumer(_ c: Consumer, in tx: WriteTransaction) async throws {
        try await tx.db.raw("""
            INSERT INTO consumers (id, name, kind, environment, contact, created_at) VALUES (\(bind: c.id.description), \(bind: c.name), \(bind: c.kind.rawValue), \(bind: c.environment), \(bind: c.contact), \(bind: c.createdAt.unixMillis))
            """).run()
        for t in Set(c.holds.map(\.description)).sorted() {
            try await tx.db.raw("INSERT INTO consumer_holdings (consumer_id, target_id) VALUES (\(bind: c.id.description), \(bind: t))").run()
        }
        try await replaceConsumerSources(of: c.id, with: c.sources, in: tx)
    }

    package func consumer(_ id: ConsumerID, in db: any SQLDatabase) async throws -> Consumer? {
        guard let row = try await db.raw("SELECT id, name, kind, environment, contact, created_at FROM consumers WHERE id = \(bind: id.description)").first() else { return nil }
        return try await decodeConsumers([row], in: db).first
    }

    package func consumer(_ id: ConsumerID) async throws -> Consumer? {
        try await read { try await self.consumer(id, in: $0) }
    }

    /// Declared consumers holding `target`.
    package func consumers(holding target: CredentialRef, in db: any SQLDatabase) async throws -> [Consumer] {
        try await decodeConsumers(db.raw("SELECT c.id, c.name, c.kind, c.environment, c.contact, c.created_at FROM consumers c JOIN consumer_holdings h ON h.consumer_id = c.id WHERE h.target_id = \(bind: target.description) ORDER BY c.id").all(), in: db)
    }

    package func listConsumers(holding target: CredentialRef?, limit: Int, after cursor: String?) async throws -> Page<Consumer> {
        try await read { db in
            let rows: [any SQLRow]
            if let target {
                rows = try await db.raw("SELECT c.id, c.name, c.kind, c.environment, c.contact, c.created_at FROM consumers c JOIN consumer_holdings h ON h.consumer_id = c.id WHERE h.target_id = \(bind: target.description) AND c.id > \(bind: cursor ?? "") ORDER BY c.id LIMIT \(unsafeRaw: String(limit + 1))").all()
            } else {
                rows = try await db.raw("SELECT id, name, kind, environment, contact, created_at FROM consumers WHERE id > \(bind: cursor ?? "") ORDER BY id LIMIT \(unsafeRaw: String(limit + 1))").all()
            }
            var items = try await self.decodeConsumers(rows, in: db)
            let more = items.count > limit
            if more { items.removeLast() }
            return Page(items: items, nextCursor: more ? items.last.map { PageCursor.encode($0.id.description) } : nil)
        }
    }

    /// Consumer rows with what each holds, read in one query for all of them.
    private func decodeConsumers(_ rows: [any SQLRow], in db: any SQLDatabase) async throws -> [Consumer] {
        guard !rows.isEmpty else { return [] }
        var q = SQLQueryString("SELECT consumer_id, target_id FROM consumer_holdings WHERE consumer_id IN (")
        for (i, row) in rows.enumerated() {
            if i > 0 { q.appendInterpolation(unsafeRaw: ", ") }
            q.appendInterpolation(bind: try row.decode(column: "id", as: String.self))
        }
        q.appendInterpolation(unsafeRaw: ") ORDER BY target_id")
        var holds: [String: [CredentialRef]] = [:]
        for r in try await db.raw(q).all() {
            guard let target = CredentialRef(try r.decode(column: "target_id", as: String.self)) else { throw StoreError.corrupt("consumer holding") }
            holds[try r.decode(column: "consumer_id", as: String.self), default: []].append(target)
        }
        let sources = try await consumerSources(of: try rows.map { try $0.decode(column: "id", as: String.self) }, in: db)
        return try rows.map { row in
            let raw = try row.decode(column: "id", as: String.self)
            guard let id = ConsumerID(raw), let kind = ConsumerKind(rawValue: try row.decode(column: "kind", as: String.self)) else {
                throw StoreError.corrupt("consumer row")
            }
            return Consumer(id: id, name: try row.decode(column: "name", as: String.self), kind: kind,
                            environment: try row.decode(column: "environment", as: String.self), contact: try row.decode(column: "contact", as: String?.self),
                            holds: holds[raw] ?? [], createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
                            sources: sources[raw] ?? [])
        }
    }

    // MARK: derived credentials

    package func linkDerived(parent: CredentialRef, child: CredentialRef, in tx: WriteTransaction) async throws {
        try await tx.db.raw("INSERT INTO derived_credentials (parent_id, child_kind, child_id, created_at) VALUES (\(bind: parent.description), \(bind: child.kind), \(bind: child.description), \(bind: tx.now.unixMillis))").run()
    }

    /// Direct children of `parent`, by id.
    package func derived(from parent: CredentialRef, in db: any SQLDatabase) async throws -> [CredentialRef] {
        try await db.raw("SELECT child_kind, child_id FROM derived_credentials WHERE parent_id = \(bind: parent.description) ORDER BY child_id").all().map {
            guard let ref = CredentialRef(kind: try $0.decode(column: "child_kind", as: String.self), id: try $0.decode(column: "child_id", as: String.self)) else {
                throw StoreError.corrupt("derived credential link")
            }
            return ref
        }
    }

    package func derivedParent(of child: CredentialRef, in db: any SQLDatabase) async throws -> CredentialRef? {
        try await db.raw("SELECT parent_id FROM derived_credentials WHERE child_id = \(bind: child.description)").first()
            .flatMap { CredentialRef(try $0.decode(column: "parent_id", as: String.self)) }
    }
}
