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
