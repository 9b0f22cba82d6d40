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
    /// HMAC under the server's key (intelligence that arrived as plaintext).
    package var serverFingerprint: String?
    /// For a private key: the RFC 7638 SHA-256 thumbprint of its public half.
    package var keyThumbprint: String?
    package init(source: String, ruleID: String, provider: String?, digest: String?, scannerFingerprint: String?, path: String?, line: Int?,
                 commit: String?, url: String?, firstSeen: Date?, serverFingerprint: String? = nil, keyThumbprint: String? = nil) {
        self.serverFingerprint = serverFingerprint
        self.keyThumbprint = keyThumbprint
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
        var parts = [ruleID, digest ?? "", scannerFingerprint ?? "", path ?? "", line.map(String.init) ?? "", commit ?? "", url ?? "", serverFingerprint ?? ""]
        // Appended only when present, so exposures recorded before keep their dedupe keys.
        if let keyThumbprint { parts.append("jkt:" + keyThumbprint) }
        return SecretDigest(hashing: parts.joined(separator: "\u{1F}").utf8).hex
    }
}

extension Store {
    /// Records one exposure in `tx` unless the same one is already known (idempotent delivery).
    /// Returns its id and whether it is new.
    package func recordExposure(_ e: ExposureRecord, reporter: String, receivedAt: Date, in tx: WriteTransaction) async throws -> (id: ExposureID, isNew: Bool) {
        let key = e.dedupeKey
        if let row = try await tx.db.raw("SELECT id FROM exposures WHERE dedupe_key = \(bind: key)").first() {
            guard let id = ExposureID(try row.decode(column: "id", as: String.self)) else { throw StoreError.corrupt("exposure id") }
            return (id, false)
        }
        guard let id = ExposureID("exp_" + String(key.prefix(32))) else { throw StoreError.corrupt("exposure dedupe digest") }
        try await tx.db.raw("""
            INSERT INTO exposures (id, dedupe_key, received_at, source, rule_id, provider, digest, scanner_fingerprint, path, line, commit_id, url, first_seen, reporter, server_fingerprint, key_thumbprint)
            VALUES (\(bind: id.description), \(bind: key), \(bind: receivedAt.unixMillis), \(bind: e.source), \(bind: e.ruleID), \(bind: e.provider), \(bind: e.digest), \(bind: e.scannerFingerprint), \(bind: e.path), \(bind: e.line.map(Int64.init)), \(bind: e.commit), \(bind: e.url), \(bind: e.firstSeen?.unixMillis), \(bind: reporter), \(bind: e.serverFingerprint), \(bind: e.keyThumbprint))
            """).run()
        return (id, true)
    }

    /// What matching found for an exposure.
    package func classifyExposure(_ id: ExposureID, classification: ExposureClassification, target: CredentialRef?, incidentID: IncidentID?, in tx: WriteTransaction) async throws {
        try await tx.db.raw("UPDATE exposures SET classification = \(bind: classification.rawValue), target_id = \(bind: target?.description), incident_id = \(bind: incidentID?.description) WHERE id = \(bind: id.description)").run()
    }

    /// What matching recorded for a known exposure: (classification, incident id).
    package func exposureMatch(_ id: ExposureID, in db: any SQLDatabase) async throws -> (String?, String?) {
        guard let r = try await db.raw("SELECT classification, incident_id FROM exposures WHERE id = \(bind: id.description)").first() else { return (nil, nil) }
        return (try r.decode(column: "classification", as: String?.self), try r.decode(column: "incident_id", as: String?.self))
    }

    /// Whether any exposure names this digest (is the current version of a key also leaked?).
    package func exposureExists(digest: SecretDigest, in db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT id FROM exposures WHERE digest = \(bind: digest.hex) LIMIT 1").first() != nil
    }

    /// Exposures that matched nothing in the inventory (for posture).
    package func unownedExposureCount() async throws -> Int {
        try await read { db in
            try await db.raw("SELECT count(*) AS n FROM exposures WHERE classification = 'unknown'").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    package func exposureCount() async throws -> Int {
        try await read { db in
            try await db.raw("SELECT count(*) AS n FROM exposures").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
