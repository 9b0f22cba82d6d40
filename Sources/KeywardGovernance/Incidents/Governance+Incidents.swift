import Foundation
import KeywardCore
import KeywardStore
import Logging

extension Governance {
    // MARK: third-party credentials

    func notifyCredential(_ c: Credential, exposure: ExposureContext, actor: Principal, in tx: WriteTransaction) async throws -> ExposureOutcome {
        let now = store.clock.now()
        if let joined = try await joinOpenIncident(target: .credential(c.id), classification: .thirdParty, exposure: exposure, at: now, in: tx) {
            return joined
        }
        guard let identity = try await store.identity(c.identityID, in: tx.db) else { throw StoreError.corrupt("credential without identity") }
        let radius = try await blastRadius(of: c, identity: identity, in: tx.db)
        try await store.setCredentialStatus(c.id, .exposed, in: tx)
        let incidentID = IncidentID.random()
        let owner = identity.technicalOwner ?? identity.businessOwner ?? "unknown owner"
        let revocation = Self.revocationMethod(rule: c.ruleID, provider: c.provider)
        let notified = try await emit(.incidentOpened, ["incident_id": incidentID.description, "credential_id": c.id.description,
                                                          "identity_id": identity.id.description, "owner": owner, "provider": c.provider,
                                                          "action": "notify", "source": exposure.source, "revocation": revocation], in: tx) > 0
        var events = [
            IncidentEvent(at: exposure.receivedAt, kind: "received", detail: "\(exposure.source): \(exposure.where_)"),
            IncidentEvent(at: now, kind: "matched", detail: "\(c.provider) credential \(c.name) (\(c.id)) of identity \(identity.name)"),
        ]
        events.append(notificationEvent(notified: notified, owner: owner, incident: incidentID, at: now))
        let guidance = "Keyward cannot revoke this \(c.provider) credential at its provider. Revoke it there: \(revocation). Update its holders (blast radius), import the new value (`keyward import … --identity \(identity.id)`), then resolve this incident."
        let incident = Incident(
            id: incidentID, status: .open, target: .credential(c.id), targetVersion: nil, identityID: identity.id,
            environment: c.environment, source: exposure.source, classification: .thirdParty, action: .notify, receivedAt: exposure.receivedAt,
            matchedAt: now, containedAt: nil, notifiedAt: notified ? now : nil, exposureCount: 1, blastRadiusJSON: StoredJSON.string(radius),
            huntJSON: "null", guidance: guidance, events: events, createdAt: now, updatedAt: now)
        try await store.insertIncident(incident, dedupeKey: c.id.description, in: tx)
        try await store.classifyExposure(exposure.id, classification: .thirdParty, target: .credential(c.id), incidentID: incidentID, in: tx)
        tx.audit(AuditEntry(actor: actor.name, action: .incidentOpened, target: incidentID.description, details: [
            "credential_id": c.id.description, "provider": c.provider, "classification": ExposureClassification.thirdParty.rawValue,
            "action": ContainmentAction.notify.rawValue, "source": exposure.source, "exposure_id": exposure.id.description, "notified": String(notified),
        ]))
        return ExposureOutcome(exposureID: exposure.id, duplicate: false, classification: .thirdParty, incidentID: incidentID, action: .notify,
                               notified: notified)
    }

    /// The same credential leaked again while its incident is not resolved: the exposure joins

    /// that incident's timeline; nothing is done twice.
    func joinOpenIncident(target: CredentialRef, classification: ExposureClassification, exposure: ExposureContext, at now: Date,
                                  in tx: WriteTransaction) async throws -> ExposureOutcome? {
        guard var open = try await store.incident(dedupeKey: target.description, in: tx.db) else { return nil }
        open.exposureCount += 1
        open.events.append(IncidentEvent(at: now, kind: "exposure_added", detail: "\(exposure.source): \(exposure.where_)"))
        open.updatedAt = now
        try await store.updateIncident(open, in: tx)
        try await store.classifyExposure(exposure.id, classification: classification, target: target, incidentID: open.id, in: tx)
        return ExposureOutcome(exposureID: exposure.id, duplicate: false, classification: classification, incidentID: open.id, action: nil)
    }

    /// An incident about to be opened for a Keyward credential (a key or an OAuth client) whose
    /// containment was decided: its timeline so far, radius, hunt and guidance.
    struct IncidentDraft {
        var id: IncidentID
        var target: CredentialRef
        var version: Int?
        var identity: Identity
        var environment: String
        var classification: ExposureClassification
        var action: ContainmentAction
        var containedAt: Date?
        var events: [IncidentEvent]
        var radius: BlastRadiusReport
        var hunt: HuntReport
        var guidance: String
        /// What the report showed: `possession`, `digest_only`, `key_thumbprint`.
        var evidence: String
    }

    /// Announces (`incident.opened`), records and audits the incident, classifies the exposure
    /// against it, and announces its containment with the time it took (`incident.contained`).
    func openIncident(_ d: IncidentDraft, exposure: ExposureContext, actor: Principal, now: Date, in tx: WriteTransaction) async throws -> ExposureOutcome {
        let owner = d.identity.technicalOwner ?? d.identity.businessOwner ?? "unknown owner"
        let targetField = d.target.kind + "_id"
        var data = ["incident_id": d.id.description, targetField: d.target.description, "identity_id": d.identity.id.description,
                    "owner": owner, "action": d.action.rawValue, "classification": d.classification.rawValue, "source": exposure.source]
        let notified = try await emit(.incidentOpened, data, in: tx) > 0
        let incident = Incident(
            id: d.id, status: d.containedAt == nil ? .open : .contained, target: d.target, targetVersion: d.version,
            identityID: d.identity.id, environment: d.environment, source: exposure.source, classification: d.classification, action: d.action,
            receivedAt: exposure.receivedAt, matchedAt: now, containedAt: d.containedAt, notifiedAt: notified ? now : nil, exposureCount: 1,
            blastRadiusJSON: StoredJSON.string(d.radius), huntJSON: StoredJSON.string(d.hunt), guidance: d.guidance,
            events: d.events + [notificationEvent(notified: notified, owner: owner, incident: d.id, at: now)], createdAt: now, updatedAt: now)
        try await store.insertIncident(incident, dedupeKey: d.target.description, in: tx)
        try await store.classifyExposure(exposure.id, classification: d.classification, target: d.target, incidentID: d.id, in: tx)
        var details = [
            targetField: d.target.description, "classification": d.classification.rawValue, "action": d.action.rawValue,
            "source": exposure.source, "exposure_id": exposure.id.description, "evidence": d.evidence,
            "time_to_contain_ms": incident.timeToContainMillis.map(String.init) ?? "not contained", "notified": String(notified),
        ]
        if let v = d.version { details["version"] = String(v) }
        tx.audit(AuditEntry(actor: actor.name, action: .incidentOpened, target: d.id.description, details: details))
        if let ttc = incident.timeToContainMillis {
            data["time_to_contain_ms"] = String(ttc)
            try await emit(.incidentContained, data, in: tx)
        }
        return ExposureOutcome(exposureID: exposure.id, duplicate: false, classification: d.classification, incidentID: d.id, action: d.action,
                               notified: notified)
    }

    /// Whether anyone was told: a queued `incident.opened` webhook, or, with no subscription, an
    /// event saying nobody was (and a warning in the log), so a `notify` incident never looks handled.
    func notificationEvent(notified: Bool, owner: String, incident: IncidentID, at now: Date) -> IncidentEvent {
        if !notified {
            logger.warning("incident opened and nobody notified: no webhook subscribes to incident.opened", metadata: ["incident_id": "\(incident)"])
        }
        return notified
            ? IncidentEvent(at: now, kind: "notified", detail: "incident.opened webhook queued for \(owner)")
            : IncidentEvent(at: now, kind: "not_notified", detail:
                "no webhook subscribes to incident.opened, so nobody was told: tell \(owner) yourself, and subscribe one (keyward webhooks create --url URL --event incident.opened)")
    }

    // MARK: incidents

    /// Closes an incident by hand; a later leak of the same credential opens a new one.
    package func resolveIncident(_ id: IncidentID, reason: String, actor: Principal) async throws -> Incident {
        try Validate.text(reason, field: "reason", max: 500)
        return try await store.write { tx in
            guard var incident = try await self.store.incident(id, in: tx.db) else { throw KeywardError.notFound("incident") }
            guard incident.status != .resolved else { throw KeywardError(.conflict, "the incident is already resolved") }
            incident.status = .resolved
            incident.updatedAt = tx.now
            incident.events.append(IncidentEvent(at: tx.now, kind: "resolved", detail: reason))
            try await self.store.updateIncident(incident, dedupeKey: "\(incident.target)#\(incident.id)", in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .incidentResolved, target: id.description, details: ["reason": reason]))
            try await self.emit(.incidentResolved, ["incident_id": id.description, "target_id": incident.target.description], in: tx)
            return incident
        }
    }

}
