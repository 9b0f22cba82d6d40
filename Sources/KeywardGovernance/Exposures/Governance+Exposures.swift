import Foundation
import KeywardCore
import KeywardStore

/// Handling a leak report (issue 5): record → match → classify → contain by policy → incident with
/// its clock and blast radius → webhooks. All of it in one write transaction per report, so a
/// report is either fully handled or not at all, and concurrent reports of one secret are
/// serialised by the store (one incident, one revocation).
extension Governance {
    package func intake(_ items: [IncomingExposure], source: String, receivedAt: Date, actor: Principal) async throws -> [ExposureOutcome] {
        try await store.write { tx in
            var results: [ExposureOutcome] = []
            var shown: [Bool] = []
            for item in items {
                let (result, possession) = try await self.handle(item, source: source, receivedAt: receivedAt, actor: actor, in: tx)
                results.append(result)
                shown.append(possession)
            }
            let accepted = results.filter { !$0.duplicate }.count
            if accepted > 0 {
                tx.audit(AuditEntry(actor: actor.name, action: .exposureReported, target: "exposures", details: [
                    "accepted": String(accepted), "duplicates": String(results.count - accepted), "source": source,
                    "matched": String(results.filter { !$0.duplicate && $0.classification != .unknown }.count),
                ]))
            }
            // A reporter that showed no possession (a digest only) learns nothing about what the
            // digest names: not whether it matched, was live, or what was done. Admins see all.
            return zip(results, shown).map { r, possession in
                actor.isAdmin || possession ? r
                    : ExposureOutcome(exposureID: r.exposureID, duplicate: r.duplicate, classification: nil, incidentID: nil, action: nil)
            }
        }
    }

    /// The result, and whether the report showed possession of the secret.
    func handle(_ item: IncomingExposure, source: String, receivedAt: Date, actor: Principal,
                        in tx: WriteTransaction) async throws -> (ExposureOutcome, Bool) {
        let plaintext = if case .plaintext = item.evidence { true } else { false }
        var record = item.record
        record.serverFingerprint = item.serverFingerprint?.hex
        let digest = item.matchDigest ?? record.digest.flatMap { SecretDigest(hex: $0) }

        // Match first, so a plaintext's digest is stored only when it names something high-entropy.
        var keyMatch: (id: KeyID, version: Int, possessionCheck: SecretDigest?)?
        if let digest { keyMatch = try await store.keyVersion(digest: digest, in: tx.db) }
        let credMatches = keyMatch == nil ? try await store.credentials(digest: digest, fingerprint: item.serverFingerprint, in: tx.db) : []
        if item.matchDigest != nil, record.digest == nil, keyMatch != nil || credMatches.contains(where: { $0.digest != nil }) {
            record.digest = digest?.hex
        }

        let (exposureID, isNew) = try await store.recordExposure(record, reporter: actor.name, receivedAt: receivedAt, in: tx)
        guard isNew else {
            let (cls, inc) = try await store.exposureMatch(exposureID, in: tx.db)
            return (ExposureOutcome(exposureID: exposureID, duplicate: true, classification: cls.flatMap(ExposureClassification.init(rawValue:)) ?? .unknown,
                                    incidentID: inc.flatMap(IncidentID.init), action: nil), plaintext || Self.proves(item.evidence, keyMatch?.possessionCheck))
        }
        let context = ExposureContext(id: exposureID, source: source, receivedAt: receivedAt, firstSeen: record.firstSeen,
                                      where_: record.url ?? record.path ?? record.ruleID)
        if let match = keyMatch, var key = try await store.key(match.id, in: tx.db) {
            let possession = plaintext || Self.proves(item.evidence, match.possessionCheck)
            return (try await containKey(&key, version: match.version, exposure: context, possession: possession, actor: actor, in: tx), possession)
        }
        // OAuth material: an access token by its SHA-256, a private key by its public half's thumbprint.
        if keyMatch == nil, credMatches.isEmpty {
            if let digest, let token = try await store.accessToken(digest: digest, in: tx.db) {
                return (try await containToken(token, exposure: context, actor: actor, in: tx), plaintext)
            }
            if let jkt = record.keyThumbprint, let client = try await store.clients(keyThumbprint: jkt, in: tx.db).first {
                return (try await containClient(client, exposure: context, actor: actor, in: tx), plaintext)
            }
        }
        if let first = credMatches.first {
            var result: ExposureOutcome?
            for c in credMatches {
                let r = try await notifyCredential(c, exposure: context, actor: actor, in: tx)
                if c.id == first.id { result = r }
            }
            return (result!, plaintext)
        }
        try await store.classifyExposure(exposureID, classification: .unknown, target: nil, incidentID: nil, in: tx)
        return (ExposureOutcome(exposureID: exposureID, duplicate: false, classification: .unknown, incidentID: nil, action: nil),
                plaintext)
    }

    /// A possession proof that hashes to the key version's stored check.
    static func proves(_ evidence: IncomingExposure.Evidence, _ check: SecretDigest?) -> Bool {
        guard case .proof(let proof) = evidence, let check else { return false }
        return PossessionProof.verify(proof, against: check)
    }

    struct ExposureContext {
        var id: ExposureID
        var source: String
        var receivedAt: Date
        var firstSeen: Date?
        var where_: String
    }
}
