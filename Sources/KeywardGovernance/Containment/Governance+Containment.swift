import Foundation
import KeywardCore
import KeywardStore
import Logging

extension Governance {
    // MARK: Keyward keys

    /// Contains a matched key version as `ContainmentPolicy.decide` says (the rules about
    /// evidence of possession are there), then opens or joins the credential's incident.
    func containKey(_ key: inout APIKey, version: Int, exposure: ExposureContext, possession: Bool, actor: Principal,
                            in tx: WriteTransaction) async throws -> ExposureOutcome {
        let now = store.clock.now()
        guard let v = key.versions.first(where: { $0.version == version }) else { throw StoreError.corrupt("exposure matched a missing key version") }
        let mayContain = possession || actor.isAdmin
        let decision = containment.decide(key: key, version: v, source: exposure.source, mayContain: mayContain, at: now)
        let classification = decision.classification
        if let joined = try await joinOpenIncident(target: .key(key.id), classification: classification, exposure: exposure, at: now, in: tx) {
            return joined
        }
        guard let action = decision.action else {
            // Nothing is trusted any more: the exposure is recorded and audited, no incident.
            var details = ["exposure_id": exposure.id.description, "classification": classification.rawValue, "source": exposure.source, "version": String(version)]
            if classification == .rotated, let cur = key.current {
                details["current_version_exposed"] = String(try await store.exposureExists(digest: cur.digest, in: tx.db))
            }
            tx.audit(AuditEntry(actor: actor.name, action: .exposureMatched, target: key.id.description, details: details))
            try await store.classifyExposure(exposure.id, classification: classification, target: .key(key.id), incidentID: nil, in: tx)
            return ExposureOutcome(exposureID: exposure.id, duplicate: false, classification: classification, incidentID: nil, action: nil)
        }

        guard let identity = try await store.identity(key.identityID, in: tx.db) else { throw StoreError.corrupt("key without identity") }
        let radius = try await blastRadius(of: key, version: version, identity: identity, in: tx.db)
        let since = exposure.firstSeen.map { min($0, exposure.receivedAt) } ?? exposure.receivedAt.addingTimeInterval(-30 * 86_400)
        let hunt = try await self.hunt(key.id, since: max(since, key.createdAt), in: tx.db)
        let incidentID = IncidentID.random()
        var events = [
            IncidentEvent(at: exposure.receivedAt, kind: "received", detail: "\(exposure.source): \(exposure.where_)"),
            IncidentEvent(at: now, kind: "matched", detail: "key \(key.id) version \(version) of identity \(identity.name) (\(classification.rawValue))"),
        ]
        if let would = decision.withheld {
            events.append(IncidentEvent(at: now, kind: "containment_withheld", detail:
                "the report named the key by its digest only, with no proof that the reporter held it; policy would \(would.rawValue) it. Confirm, then revoke or rotate it by hand"))
        }
        var containedAt: Date?
        let reason = "exposure \(exposure.id) reported by \(exposure.source)"
        switch action {
        case .revoke:
            let ids = try await revoke(&key, reason: reason, actor: actor, in: tx)
            containedAt = store.clock.now()
            events.append(IncidentEvent(at: containedAt!, kind: "contained", detail: "revoked \(ids.map(\.description).joined(separator: ", "))"))
        case .quarantine:
            let ids = try await quarantine(&key, reason: reason, actor: actor, in: tx)
            containedAt = store.clock.now()
            events.append(IncidentEvent(at: containedAt!, kind: "contained", detail: "quarantined \(ids.map(\.description).joined(separator: ", "))"))
        case .notify:
            break
        }
        if key.identityID == .keyward, action != .notify, try await usableAdminKeys(excluding: [], in: tx) == 0 {
            // Revoking a leaked admin key is right even when it was the last one; recovery is offline.
            logger.critical("a leaked keyward admin key was contained and no usable keyward:admin key remains; run `keyward admin recover` on the server's host",
                            metadata: ["key_id": "\(key.id)"])
            events.append(IncidentEvent(at: store.clock.now(), kind: "admin_access_lost",
                                        detail: "no usable keyward:admin key remains: run `keyward admin recover` where the data folder (or the database and HMAC key file) is"))
        }
        return try await openIncident(IncidentDraft(
            id: incidentID, target: .key(key.id), version: version, identity: identity, environment: key.environment.rawValue,
            classification: classification, action: action, containedAt: containedAt, events: events, radius: radius, hunt: hunt,
            guidance: Self.keyGuidance(key, identity: identity, action: action, consumers: radius.declaredConsumers.count + radius.observedConsumers.count),
            evidence: possession ? "possession" : "digest_only"), exposure: exposure, actor: actor, now: now, in: tx)
    }

    static func keyGuidance(_ key: APIKey, identity: Identity, action: ContainmentAction, consumers: Int) -> String {
        let scopes = key.scopes.map { "--scope \($0.value)" }.joined(separator: " ")
        let issue = "keyward keys create --identity \(identity.id) \(scopes) --mode \(key.environment.rawValue)"
        let deploy = consumers > 0 ? "deploy it to the \(consumers) consumer(s) in the blast radius" : "deploy it where the old key was used"
        switch action {
        case .revoke:
            return "Key \(key.id) was revoked with every credential derived from it. Issue a successor (`\(issue)`, or POST /v1/keys), \(deploy), remove the leaked value from where it was found (rewrite history if it was committed), then resolve this incident."
        case .quarantine:
            return "Key \(key.id) is quarantined: verify answers `quarantined`. Rotate it to issue a successor (`keyward keys rotate \(key.id)`, or POST /v1/keys/\(key.id)/rotate; the exposed version stops at once), \(deploy), then resolve this incident."
        case .notify:
            return "Key \(key.id) is still valid (policy: notify). Rotate it (`keyward keys rotate \(key.id) --grace 0`) or revoke it, \(deploy), then resolve this incident."
        }
    }
}
