import Foundation
import KeywardCore
import SQLKit

/// An exposure as stored: no plaintext, a SHA-256 digest only for high-entropy formats.
package struct ExposureRecord: Sendable {
    package var source: String
    package var ruleID: String
    package var provider: String?
    package var digest: String?
    package var scannerFingerprint: String?
    package var path: String?
    package var line: Int?
    package var commit: String?
    package var url: String?
    package var firstSeen: Date?
    package init(source: String, ruleID: String, provider: String?, digest: String?, scannerFingerprint: String?, path: String?, line: Int?,
                 commit: String?, url: String?, firstSeen: Date?) {
        self.source = source
        self.ruleID = ruleID
        self.provider = provider
        self.digest = digest
        self.scannerFingerprint = scannerFingerprint
        self.path = path
        self.line = line
        self.commit = commit
        self.url = url
        self.firstSeen = firstSeen
    }

    /// Same secret (or fingerprint), rule and place → the same exposure: delivery is idempotent.
    package var dedupeKey: String {
        let parts = [ruleID, digest ?? "", scannerFingerprint ?? "", path ?? "", line.map(String.init) ?? "", commit ?? "", url ?? ""]
        return SecretDigest(hashing: parts.joined(separator: "\u{1F}").utf8).hex
    }
}

extension Store {
    /// Records exposures in one audited transaction; returns (accepted, duplicates).
    package func recordExposures(_ items: [ExposureRecord], reporter: String) async throws -> (Int, Int) {
        try await write { tx in
            var accepted = 0
            for e in items {
                let key = e.dedupeKey
                let exists = try await tx.db.raw("SELECT id FROM exposures WHERE dedupe_key = \(bind: key)").first() != nil
                if exists { continue }
                try await tx.db.raw("""
                    INSERT INTO exposures (id, dedupe_key, received_at, source, rule_id, provider, digest, scanner_fingerprint, path, line, commit_id, url, first_seen, reporter)
                    VALUES (\(bind: "exp_" + String(key.prefix(32))), \(bind: key), \(bind: tx.now.unixMillis), \(bind: e.source), \(bind: e.ruleID), \(bind: e.provider), \(bind: e.digest), \(bind: e.scannerFingerprint), \(bind: e.path), \(bind: e.line.map(Int64.init)), \(bind: e.commit), \(bind: e.url), \(bind: e.firstSeen?.unixMillis), \(bind: reporter))
                    """).run()
                accepted += 1
            }
            if accepted > 0 {
                tx.audit(AuditEntry(actor: reporter, action: "exposure.reported", target: "exposures",
                                    details: ["accepted": String(accepted), "duplicates": String(items.count - accepted), "source": items.first?.source ?? ""]))
            }
            return (accepted, items.count - accepted)
        }
    }

    package func exposureCount() async throws -> Int {
        try await read { db in
            try await db.raw("SELECT count(*) AS n FROM exposures").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
