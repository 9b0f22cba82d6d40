import Foundation
import KeywardCore
import SQLKit

package struct IdentityFilter: Sendable {
    package var owner: String?
    package var environment: String?
    package var kind: IdentityKind?
    package var status: IdentityStatus?
    /// Exact name.
    package var name: String?
    package init(owner: String? = nil, environment: String? = nil, kind: IdentityKind? = nil, status: IdentityStatus? = nil, name: String? = nil) {
        self.name = name
        self.owner = owner
        self.environment = environment
        self.kind = kind
        self.status = status
    }
}

extension Store {
    static let identityColumns = "id, name, kind, business_owner, technical_owner, purpose, environment, data_classification, labels, allowed_scopes, status, created_at, updated_at, decommissioned_at, rate_limit"

    package func insertIdentity(_ i: Identity, in tx: WriteTransaction) async throws {
        let labels = JSONColumn.encode(i.labels)
        let scopes = JSONColumn.encode(i.allowedScopes.map(\.value))
        try await tx.db.raw("""
            INSERT INTO identities (\(unsafeRaw: Store.identityColumns)) VALUES (\(bind: i.id.description), \(bind: i.name), \(bind: i.kind.rawValue), \(bind: i.businessOwner), \(bind: i.technicalOwner), \(bind: i.purpose), \(bind: i.environment), \(bind: i.dataClassification.rawValue), \(bind: labels), \(bind: scopes), \(bind: i.status.rawValue), \(bind: i.createdAt.unixMillis), \(bind: i.updatedAt.unixMillis), \(bind: i.decommissionedAt?.unixMillis), \(bind: JSONColumn.encodeRateLimit(i.rateLimit)))
            """).run()
        tx.changed(.identity(i))
    }

    package func updateIdentity(_ i: Identity, in tx: WriteTransaction) async throws {
        let labels = JSONColumn.encode(i.labels)
        let scopes = JSONColumn.encode(i.allowedScopes.map(\.value))
        try await tx.db.raw("""
            UPDATE identities SET name = \(bind: i.name), business_owner = \(bind: i.businessOwner), technical_owner = \(bind: i.technicalOwner), purpose = \(bind: i.purpose), labels = \(bind: labels), allowed_scopes = \(bind: scopes), status = \(bind: i.status.rawValue), updated_at = \(bind: i.updatedAt.unixMillis), decommissioned_at = \(bind: i.decommissionedAt?.unixMillis), rate_limit = \(bind: JSONColumn.encodeRateLimit(i.rateLimit)) WHERE id = \(bind: i.id.description)
            """).run()
        tx.changed(.identity(i))
    }

    package func identity(_ id: IdentityID, in db: any SQLDatabase) async throws -> Identity? {
        try await db.raw("SELECT \(unsafeRaw: Store.identityColumns) FROM identities WHERE id = \(bind: id.description)")
            .first().map(Store.decodeIdentity)
    }

    package func identity(_ id: IdentityID) async throws -> Identity? {
        try await read { try await self.identity(id, in: $0) }
    }

    package func listIdentities(_ f: IdentityFilter, limit: Int, after cursor: String?) async throws -> Page<Identity> {
        try await read { db in
            var q = SQLQueryString("SELECT \(unsafeRaw: Store.identityColumns) FROM identities WHERE 1 = 1")
            if let o = f.owner { q.appendInterpolation(unsafeRaw: " AND (technical_owner = "); q.appendInterpolation(bind: o); q.appendInterpolation(unsafeRaw: " OR business_owner = "); q.appendInterpolation(bind: o); q.appendInterpolation(unsafeRaw: ")") }
            if let e = f.environment { q.appendInterpolation(unsafeRaw: " AND environment = "); q.appendInterpolation(bind: e) }
            if let n = f.name { q.appendInterpolation(unsafeRaw: " AND name = "); q.appendInterpolation(bind: n) }
            if let k = f.kind { q.appendInterpolation(unsafeRaw: " AND kind = "); q.appendInterpolation(bind: k.rawValue) }
            if let s = f.status { q.appendInterpolation(unsafeRaw: " AND status = "); q.appendInterpolation(bind: s.rawValue) }
            if let c = cursor { q.appendInterpolation(unsafeRaw: " AND id > "); q.appendInterpolation(bind: c) }
            q.appendInterpolation(unsafeRaw: " ORDER BY id LIMIT \(limit + 1)")
            let rows = try await db.raw(q).all().map(Store.decodeIdentity)
            let items = Array(rows.prefix(limit))
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { PageCursor.encode($0.id.description) } : nil)
        }
    }

    /// Every identity with a rate limit of its own (the verify index loads them at start).
    package func identityRateLimits() async throws -> [(IdentityID, RateLimit)] {
        try await read { db in
            try await db.raw("SELECT id, rate_limit FROM identities WHERE rate_limit IS NOT NULL").all().compactMap { row in
                guard let id = IdentityID(try row.decode(column: "id", as: String.self)),
                      let limit = try JSONColumn.decodeRateLimit(try row.decode(column: "rate_limit", as: String?.self)) else { return nil }
                return (id, limit)
            }
        }
    }

    static func decodeIdentity(_ row: any SQLRow) throws -> Identity {
        func s(_ c: String) throws -> String { try row.decode(column: c, as: String.self) }
        func os(_ c: String) throws -> String? { try row.decode(column: c, as: String?.self) }
        guard let id = IdentityID(try s("id")), let kind = IdentityKind(rawValue: try s("kind")),
              let dc = DataClassification(rawValue: try s("data_classification")),
              let status = IdentityStatus(rawValue: try s("status"))
        else { throw StoreError.corrupt("identity row") }
        let scopes = try JSONColumn.decode([String].self, from: try s("allowed_scopes")).compactMap(Scope.init)
        return Identity(
            id: id, name: try s("name"), kind: kind, businessOwner: try os("business_owner"),
            technicalOwner: try os("technical_owner"), purpose: try os("purpose"), environment: try s("environment"),
            dataClassification: dc, labels: try JSONColumn.decode([String: String].self, from: try s("labels")),
            allowedScopes: scopes, status: status,
            createdAt: Date(unixMillis: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(unixMillis: try row.decode(column: "updated_at", as: Int64.self)),
            decommissionedAt: try row.decode(column: "decommissioned_at", as: Int64?.self).map(Date.init(unixMillis:)),
            rateLimit: try JSONColumn.decodeRateLimit(try os("rate_limit"))
        )
    }
}
