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

    package struct PerKey: Sendable {
        package var lastUsedAt: Int64?
        package var outcomes: [String: Int64] = [:]
        package var sources: [String: Source] = [:]
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

extension Store {
    /// Writes a usage batch: one transaction, upserts, no audit (telemetry is not audit).
    package func flushUsage(_ batch: UsageBatch) async throws {
        guard !batch.isEmpty else { return }
        try await write { tx in
            for (id, u) in batch.keys {
                let kid = id.description
                if let t = u.lastUsedAt {
                    try await tx.db.raw("UPDATE api_keys SET last_used_at = \(bind: t) WHERE id = \(bind: kid) AND (last_used_at IS NULL OR last_used_at < \(bind: t))").run()
                }
                for (outcome, n) in u.outcomes {
                    try await tx.db.raw("""
                        INSERT INTO key_usage (key_id, outcome, count) VALUES (\(bind: kid), \(bind: outcome), \(bind: n))
                        ON CONFLICT (key_id, outcome) DO UPDATE SET count = key_usage.count + excluded.count
                        """).run()
                }
                for s in u.sources.values {
                    try await tx.db.raw("""
                        INSERT INTO key_sources (key_id, source_id, ip, user_agent, client_cert_subject, client_cert_thumbprint, first_seen, last_seen, count)
                        VALUES (\(bind: kid), \(bind: s.sourceID), \(bind: s.ip), \(bind: s.userAgent), \(bind: s.clientCertSubject), \(bind: s.clientCertThumbprint), \(bind: s.firstSeen), \(bind: s.lastSeen), \(bind: s.count))
                        ON CONFLICT (key_id, source_id) DO UPDATE SET last_seen = excluded.last_seen, count = key_sources.count + excluded.count
                        """).run()
                }
            }
        }
    }

    package func usage(of id: KeyID) async throws -> KeyUsage {
        try await read { db in
            var outcomes: [String: Int64] = [:]
            for r in try await db.raw("SELECT outcome, count FROM key_usage WHERE key_id = \(bind: id.description)").all() {
                outcomes[try r.decode(column: "outcome", as: String.self)] = try r.decode(column: "count", as: Int64.self)
            }
            let sources = try await db.raw("SELECT source_id, ip, user_agent, client_cert_subject, client_cert_thumbprint, first_seen, last_seen, count FROM key_sources WHERE key_id = \(bind: id.description) ORDER BY last_seen DESC LIMIT 100").all().map { r in
                UsageBatch.Source(
                    sourceID: try r.decode(column: "source_id", as: String.self), ip: try r.decode(column: "ip", as: String?.self),
                    userAgent: try r.decode(column: "user_agent", as: String?.self),
                    clientCertSubject: try r.decode(column: "client_cert_subject", as: String?.self),
                    clientCertThumbprint: try r.decode(column: "client_cert_thumbprint", as: String?.self),
                    firstSeen: try r.decode(column: "first_seen", as: Int64.self), lastSeen: try r.decode(column: "last_seen", as: Int64.self),
                    count: try r.decode(column: "count", as: Int64.self))
            }
            return KeyUsage(outcomes: outcomes, sources: sources)
        }
    }
}
