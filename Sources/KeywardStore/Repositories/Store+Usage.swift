import Foundation
import KeywardCore
import SQLKit

/// Verify telemetry accumulated in memory and written in one batch.
package struct UsageBatch: Sendable {
    package struct Source: Sendable {
        package var sourceID: String
        package var ip: String?
        package var userAgent: String?
        package var clientCertSubject: String?
        package var clientCertThumbprint: String?
        package var firstSeen: Int64
        package var lastSeen: Int64
        package var count: Int64
        package init(sourceID: String, ip: String?, userAgent: String?, clientCertSubject: String?, clientCertThumbprint: String?, firstSeen: Int64, lastSeen: Int64, count: Int64) {
            self.sourceID = sourceID
            self.ip = ip
            self.userAgent = userAgent
            self.clientCertSubject = clientCertSubject
            self.clientCertThumbprint = clientCertThumbprint
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.count = count
        }
    }

    package struct HourOutcome: Sendable, Hashable {
        /// Unix milliseconds / 3,600,000.
        package var hour: Int64
        package var outcome: String
        package init(hour: Int64, outcome: String) {
            self.hour = hour
            self.outcome = outcome
        }
    }

    package struct ScopeUse: Sendable {
        package var firstSeen: Int64
        package var lastSeen: Int64
        package var count: Int64
        package init(firstSeen: Int64, lastSeen: Int64, count: Int64) {
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.count = count
        }
    }

    package struct PerKey: Sendable {
        package var lastUsedAt: Int64?
        package var outcomes: [String: Int64] = [:]
        package var sources: [String: Source] = [:]
        package var hourly: [HourOutcome: Int64] = [:]
        package var scopes: [Scope: ScopeUse] = [:]
        /// Each source's use of each key version (rotation progress); one entry per (source, version).
        package var versions: [VersionUse] = []
        package init() {}
    }

    package var keys: [KeyID: PerKey] = [:]
    package init() {}
    package var isEmpty: Bool { keys.isEmpty }
}

package struct KeyUsage: Sendable {
    package var outcomes: [String: Int64]
    package var sources: [UsageBatch.Source]
}

/// A key's use since a moment (the incident hunt).
package struct KeyUseSince: Sendable {
    package var outcomes: [String: Int64]
    package var sources: [UsageBatch.Source]
    package var scopes: [(scope: String, use: UsageBatch.ScopeUse)]
}

extension Store {
    /// Writes a usage batch: one transaction, multi-row upserts (a few statements per second
    /// however many keys were used, so the flush stays off verify's tail latency), no audit
    /// (telemetry is not audit).
    package func flushUsage(_ batch: UsageBatch) async throws {
        guard !batch.isEmpty else { return }
        var lastUsed: [[any Encodable & Sendable]] = []
        var outcomes: [[any Encodable & Sendable]] = []
        var hourly: [[any Encodable & Sendable]] = []
        var scopes: [[any Encodable & Sendable]] = []
        var sources: [[any Encodable & Sendable]] = []
        var versions: [[any Encodable & Sendable]] = []
        for (id, u) in batch.keys {
            let kid = id.description
            if let t = u.lastUsedAt { lastUsed.append([kid, t]) }
            for (outcome, n) in u.outcomes { outcomes.append([kid, outcome, n]) }
            for (h, n) in u.hourly { hourly.append([kid, h.hour, h.outcome, n]) }
            for (sc, use) in u.scopes { scopes.append([kid, sc.value, use.count, use.firstSeen, use.lastSeen]) }
            for v in u.versions {
                let s = v.source
                versions.append([kid, Int64(v.version), s.sourceID, s.ip, s.userAgent, s.clientCertSubject, s.clientCertThumbprint, s.firstSeen, s.lastSeen, s.count])
            }
            for s in u.sources.values {
                sources.append([kid, s.sourceID, s.ip, s.userAgent, s.clientCertSubject, s.clientCertThumbprint, s.firstSeen, s.lastSeen, s.count])
            }
        }
        try await write { tx in
            try await Self.rows(lastUsed, in: tx, prefix: "WITH v(id, t) AS (VALUES ", suffix: """
                ) UPDATE api_keys SET last_used_at = v.t FROM v WHERE api_keys.id = v.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < v.t)
                """)
            try await Self.rows(outcomes, in: tx, prefix: "INSERT INTO key_usage (key_id, outcome, count) VALUES ",
                                suffix: " ON CONFLICT (key_id, outcome) DO UPDATE SET count = key_usage.count + excluded.count")
            try await Self.rows(hourly, in: tx, prefix: "INSERT INTO key_usage_hourly (key_id, hour, outcome, count) VALUES ",
                                suffix: " ON CONFLICT (key_id, hour, outcome) DO UPDATE SET count = key_usage_hourly.count + excluded.count")
            try await Self.rows(scopes, in: tx, prefix: "INSERT INTO key_scope_usage (key_id, scope, count, first_seen, last_seen) VALUES ",
                                suffix: " ON CONFLICT (key_id, scope) DO UPDATE SET count = key_scope_usage.count + excluded.count, last_seen = excluded.last_seen")
            try await Self.rows(sources, in: tx, prefix: "INSERT INTO key_sources (key_id, source_id, ip, user_agent, client_cert_subject, client_cert_thumbprint, first_seen, last_seen, count) VALUES ",
                                suffix: " ON CONFLICT (key_id, source_id) DO UPDATE SET last_seen = excluded.last_seen, count = key_sources.count + excluded.count")
            try await Self.rows(versions, in: tx, prefix: Self.versionUsePrefix, suffix: Self.versionUseSuffix)
        }
    }

    /// `prefix (…), (…), … suffix`, 200 rows a statement (well under both databases' bind limits;
    /// each batch has one row per conflict key, which a multi-row upsert needs).
    private static func rows(_ rows: [[any Encodable & Sendable]], in tx: WriteTransaction, prefix: String, suffix: String) async throws {
        for start in stride(from: 0, to: rows.count, by: 200) {
            var q = SQLQueryString(stringLiteral: "")
            q.appendInterpolation(unsafeRaw: prefix)
            for (i, r) in rows[start..<min(start + 200, rows.count)].enumerated() {
                q.appendInterpolation(unsafeRaw: i == 0 ? "(" : ", (")
                q.appendInterpolation(binds: r)
                q.appendInterpolation(unsafeRaw: ")")
            }
            q.appendInterpolation(unsafeRaw: suffix)
            try await tx.db.raw(q).run()
        }
    }

    package func usage(of id: KeyID) async throws -> KeyUsage {
        try await read { db in
            var outcomes: [String: Int64] = [:]
            for r in try await db.raw("SELECT outcome, count FROM key_usage WHERE key_id = \(bind: id.description)").all() {
                outcomes[try r.decode(column: "outcome", as: String.self)] = try r.decode(column: "count", as: Int64.self)
            }
            return KeyUsage(outcomes: outcomes, sources: try await self.sources(of: id, in: db))
        }
    }

    /// Outcomes (by the hour, so from the hour containing `since`), sources and scopes seen
    /// at or after `since`, for the hunt of a leaked key's recent use.
    package func use(of id: KeyID, since: Date, in db: any SQLDatabase) async throws -> KeyUseSince {
        let t = since.unixMillis
        var outcomes: [String: Int64] = [:]
        for r in try await db.raw("SELECT outcome, CAST(sum(count) AS BIGINT) AS n FROM key_usage_hourly WHERE key_id = \(bind: id.description) AND hour >= \(bind: t / 3_600_000) GROUP BY outcome").all() {
            outcomes[try r.decode(column: "outcome", as: String.self)] = try r.decode(column: "n", as: Int64.self)
        }
        let sources = try await db.raw("SELECT source_id, ip, user_agent, client_cert_subject, client_cert_thumbprint, first_seen, last_seen, count FROM key_sources WHERE key_id = \(bind: id.description) AND last_seen >= \(bind: t) ORDER BY last_seen DESC LIMIT 100").all().map(Store.decodeSource)
        let scopes = try await db.raw("SELECT scope, count, first_seen, last_seen FROM key_scope_usage WHERE key_id = \(bind: id.description) AND last_seen >= \(bind: t) ORDER BY scope").all().map { r in
            (try r.decode(column: "scope", as: String.self),
             UsageBatch.ScopeUse(firstSeen: try r.decode(column: "first_seen", as: Int64.self), lastSeen: try r.decode(column: "last_seen", as: Int64.self),
                                 count: try r.decode(column: "count", as: Int64.self)))
        }
        return KeyUseSince(outcomes: outcomes, sources: sources, scopes: scopes)
    }

    /// Every observed source of a key (observed consumers), most recent first.
    package func sources(of id: KeyID, in db: any SQLDatabase) async throws -> [UsageBatch.Source] {
        try await db.raw("SELECT source_id, ip, user_agent, client_cert_subject, client_cert_thumbprint, first_seen, last_seen, count FROM key_sources WHERE key_id = \(bind: id.description) ORDER BY last_seen DESC LIMIT 100").all().map(Store.decodeSource)
    }

    static func decodeSource(_ r: any SQLRow) throws -> UsageBatch.Source {
        UsageBatch.Source(
            sourceID: try r.decode(column: "source_id", as: String.self), ip: try r.decode(column: "ip", as: String?.self),
            userAgent: try r.decode(column: "user_agent", as: String?.self),
            clientCertSubject: try r.decode(column: "client_cert_subject", as: String?.self),
            clientCertThumbprint: try r.decode(column: "client_cert_thumbprint", as: String?.self),
            firstSeen: try r.decode(column: "first_seen", as: Int64.self), lastSeen: try r.decode(column: "last_seen", as: Int64.self),
            count: try r.decode(column: "count", as: Int64.self))
    }
}
