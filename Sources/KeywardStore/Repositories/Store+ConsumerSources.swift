import Foundation
import KeywardCore
import SQLKit

/// The source attributes a declared consumer is recognised by in verify telemetry (issue 15).
extension Store {
    /// Replaces a consumer's match sources (in their given order).
    package func replaceConsumerSources(of id: ConsumerID, with sources: [ConsumerSource], in tx: WriteTransaction) async throws {
        try await tx.db.raw("DELETE FROM consumer_sources WHERE consumer_id = \(bind: id.description)").run()
        for (i, s) in sources.enumerated() {
            try await tx.db.raw("""
                INSERT INTO consumer_sources (consumer_id, position, ip, user_agent, client_cert_subject, client_cert_thumbprint) VALUES (\(bind: id.description), \(bind: Int64(i)), \(bind: s.ip), \(bind: s.userAgent), \(bind: s.clientCertSubject), \(bind: s.clientCertThumbprint))
                """).run()
        }
    }

    /// The match sources of each of `ids` (raw consumer ids), in one query.
    func consumerSources(of ids: [String], in db: any SQLDatabase) async throws -> [String: [ConsumerSource]] {
        guard !ids.isEmpty else { return [:] }
        var q = SQLQueryString("SELECT consumer_id, ip, user_agent, client_cert_subject, client_cert_thumbprint FROM consumer_sources WHERE consumer_id IN (")
        for (i, id) in ids.enumerated() {
            if i > 0 { q.appendInterpolation(unsafeRaw: ", ") }
            q.appendInterpolation(bind: id)
        }
        q.appendInterpolation(unsafeRaw: ") ORDER BY consumer_id, position")
        var out: [String: [ConsumerSource]] = [:]
        for r in try await db.raw(q).all() {
            out[try r.decode(column: "consumer_id", as: String.self), default: []].append(ConsumerSource(
                ip: try r.decode(column: "ip", as: String?.self), userAgent: try r.decode(column: "user_agent", as: String?.self),
                clientCertSubject: try r.decode(column: "client_cert_subject", as: String?.self),
                clientCertThumbprint: try r.decode(column: "client_cert_thumbprint", as: String?.self)))
        }
        return out
    }
}
