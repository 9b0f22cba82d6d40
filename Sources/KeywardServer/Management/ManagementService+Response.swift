import Foundation
import KeywardAPI
import KeywardCore
import KeywardStore
import Logging

/// An exposure as it arrived, validated; plaintext (if any) already reduced to a digest and a
/// fingerprint under the server's key.
package struct IncomingExposure: Sendable {
    /// What the report shows about who held the secret (README: who may revoke).
    package enum Evidence: Sendable {
        /// The server saw the plaintext (leak intelligence over TLS, a signed partner report).
        case plaintext
        /// A possession proof beside the digest; it counts only if it matches the stored check.
        case proof(SecretDigest)
        /// A digest, a fingerprint or a location only.
        case none
    }
    package var record: ExposureRecord
    /// SHA-256 computed from a plaintext, used for matching even when it is not stored.
    package var matchDigest: SecretDigest?
    package var serverFingerprint: Fingerprint?
    package var evidence: Evidence
    package init(record: ExposureRecord, matchDigest: SecretDigest?, serverFingerprint: Fingerprint?, evidence: Evidence) {
        self.record = record
        self.matchDigest = matchDigest
        self.serverFingerprint = serverFingerprint
        self.evidence = evidence
    }
}

/// Response to a leak (issue 5): record → match → classify → contain by policy → incident with
/// its clock and blast radius → webhooks. All of it in one write transaction per report, so a
/// report is either fully handled or not at all, and concurrent reports of one secret are
/// serialised by the store (one incident, one revocation).
extension ManagementService {
    package func intake(_ items: [IncomingExposure], source: String, receivedAt: Date, actor: Actor) async throws -> [ExposureResult] {
        try await store.write { tx in
            var results: [ExposureResult] = []
            var shown: [Bool] = []
            for item in items {
                let (result, possession) = try await self.handle(item, source: source, receivedAt: receivedAt, actor: actor, in: tx)
                results.append(result)
                shown.append(possession)
            }
            let accepted = results.filter { !$0.duplicate }.count
            if accepted > 0 {
                tx.audit(AuditEntry(actor: actor.name, action: "exposure.reported", target: "exposures", details: [
                    "accepted": String(accepted), "duplicates": String(results.count - accepted), "source": source,
                    "matched": String(results.filter { !$0.duplicate && $0.classification != ExposureClassification.unknown.rawValue }.count),
                ]))
            }
            // A reporter that showed no possession (a digest only) learns nothing about what the
            // digest names: not whether it matched, was live, or what was done. Admins see all.
            return zip(results, shown).map { r, possession in
                actor.isAdmin || possession ? r
                    : ExposureResult(exposureId: r.exposureId, duplicate: r.duplicate, classification: ExposureResult.withheld, incidentId: nil, action: nil)
            }
        }
    }

    /// The result, and whether the report showed possession of the secret.
    private func handle(_ item: IncomingExposure, source: String, receivedAt: Date, actor: Actor,
                        in tx: WriteTransaction) async throws -> (ExposureResult, Bool) {
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
            return (ExposureResult(exposureId: exposureID, duplicate: true, classification: cls ?? ExposureClassification.unknown.rawValue,
                                   incidentId: inc, action: nil), plaintext || Self.proves(item.evidence, keyMatch?.possessionCheck))
        }
        let context = ExposureContext(id: exposureID, source: source, receivedAt: receivedAt, firstSeen: record.firstSeen,
                                      where_: record.url ?? record.path ?? record.ruleID)
        if let match = keyMatch, var key = try await store.key(match.id, in: tx.db) {
            let possession = plaintext || Self.proves(item.evidence, match.possessionCheck)
            return (try await containKey(&key, version: match.version, exposure: context, possession: possession, actor: actor, in: tx), possession)
        }
        if let first = credMatches.first {
            var result: ExposureResult?
            for c in credMatches {
                let r = try await notifyCredential(c, exposure: context, actor: actor, in: tx)
                if c.id == first.id { result = r }
            }
            return (result!, plaintext)
        }
        try await store.classifyExposure(exposureID, classification: .unknown, targetID: nil, incidentID: nil, in: tx)
        return (ExposureResult(exposureId: exposureID, duplicate: false, classification: ExposureClassification.unknown.rawValue, incidentId: nil, action: nil),
                plaintext)
    }

    /// A possession proof that hashes to the key version's stored check.
    static func proves(_ evidence: IncomingExposure.Evidence, _ check: SecretDigest?) -> Bool {
        guard case .proof(let proof) = evidence, let check else { return false }
        return PossessionProof.verify(proof, against: check)
    }

    struct ExposureContext {
        var id: String
        var source: String
        var receivedAt: Date
        var firstSeen: Date?
        var where_: String
    }

    // MARK: Keyward keys

    /// Containment needs evidence that the reporter held the secret (`possession`: a plaintext,
    /// a signed partner report or a valid possession proof) or an admin reporter: a digest
    /// alone (from a backup, a read-only role, old report traffic) opens an incident and
    /// notifies the owner, and revokes or quarantines nothing.
    private func containKey(_ key: inout APIKey, version: Int, exposure: ExposureContext, possession: Bool, actor: Actor,
                            in tx: WriteTransaction) async throws -> ExposureResult {
        let now = store.clock.now()
        let v = key.versions.first { $0.version == version }
        let classification: ExposureClassification
        if key.status == .revoked {
            classification = .alreadyRevoked
        } else if version != key.currentVersion, (v?.graceUntil ?? .distantPast) <= now {
            classification = .rotated
        } else if let exp = v?.expiresAt, exp <= now {
            classification = .expired
        } else if key.status == .quarantined {
            classification = .alreadyQuarantined
        } else {
            classification = .valid
        }
        let mayContain = possession || actor.isAdmin
        let policy = mayContain ? containment.action(environment: key.environment, source: exposure.source) : .notify
        var action: ContainmentAction? = nil
        if classification == .valid {
            action = policy
        } else if classification == .alreadyQuarantined, policy == .revoke {
            action = .revoke
        }
        if let joined = try await joinOpenIncident(targetID: key.id.description, classification: classification, exposure: exposure, at: now, in: tx) {
            return joined
        }
        guard let action else {
            // Nothing is trusted any more: the exposure is recorded and audited, no incident.
            var details = ["exposure_id": exposure.id, "classification": classification.rawValue, "source": exposure.source, "version": String(version)]
            if classification == .rotated, let cur = key.current {
                details["current_version_exposed"] = String(try await store.exposureExists(digest: cur.digest, in: tx.db))
            }
            tx.audit(AuditEntry(actor: actor.name, action: "exposure.matched", target: key.id.description, details: details))
            try await store.classifyExposure(exposure.id, classification: classification, targetID: key.id.description, incidentID: nil, in: tx)
            return ExposureResult(exposureId: exposure.id, duplicate: false, classification: classification.rawValue, incidentId: nil, action: nil)
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
        if !mayContain {
            let would = containment.action(environment: key.environment, source: exposure.source)
            events.append(IncidentEvent(at: now, kind: "containment_withheld", detail:
                "the report named the key by its digest only, with no proof that the reporter held it; policy would \(would.rawValue) it. Confirm, then revoke or rotate it by hand"))
        }
        var containedAt: Date?
        let reason = "exposure \(exposure.id) reported by \(exposure.source)"
        switch action {
        case .revoke:
            let ids = try await revoke(&key, reason: reason, actor: actor, cascadeFrom: nil, in: tx)
            containedAt = store.clock.now()
            events.append(IncidentEvent(at: containedAt!, kind: "contained", detail: "revoked \(ids.joined(separator: ", "))"))
        case .quarantine:
            let ids = try await quarantine(&key, reason: reason, actor: actor, cascadeFrom: nil, in: tx)
            containedAt = store.clock.now()
            events.append(IncidentEvent(at: containedAt!, kind: "contained", detail: "quarantined \(ids.joined(separator: ", "))"))
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
        let owner = identity.technicalOwner ?? identity.businessOwner ?? "unknown owner"
        var data = ["incident_id": incidentID.description, "key_id": key.id.description, "identity_id": identity.id.description,
                    "owner": owner, "action": action.rawValue, "classification": classification.rawValue, "source": exposure.source]
        let notified = try await emit("incident.opened", data, in: tx) > 0
        events.append(notificationEvent(notified: notified, owner: owner, incident: incidentID, at: now))
        let incident = Incident(
            id: incidentID, status: containedAt == nil ? .open : .contained, targetKind: "key", targetID: key.id.description, targetVersion: version,
            identityID: identity.id, environment: key.environment.rawValue, source: exposure.source, classification: classification, action: action,
            receivedAt: exposure.receivedAt, matchedAt: now, containedAt: containedAt, notifiedAt: notified ? now : nil, exposureCount: 1,
            blastRadiusJSON: Self.json(radius), huntJSON: Self.json(hunt),
            guidance: Self.keyGuidance(key, identity: identity, action: action, consumers: radius.declaredConsumers.count + radius.observedConsumers.count),
            events: events, createdAt: now, updatedAt: now)
        try await store.insertIncident(incident, dedupeKey: key.id.description, in: tx)
        try await store.classifyExposure(exposure.id, classification: classification, targetID: key.id.description, incidentID: incidentID, in: tx)
        tx.audit(AuditEntry(actor: actor.name, action: "incident.opened", target: incidentID.description, details: [
            "key_id": key.id.description, "version": String(version), "classification": classification.rawValue, "action": action.rawValue,
            "source": exposure.source, "exposure_id": exposure.id, "evidence": possession ? "possession" : "digest_only",
            "time_to_contain_ms": incident.timeToContainMillis.map(String.init) ?? "not contained", "notified": String(notified),
        ]))
        if let ttc = incident.timeToContainMillis {
            data["time_to_contain_ms"] = String(ttc)
            try await emit("incident.contained", data, in: tx)
        }
        return ExposureResult(exposureId: exposure.id, duplicate: false, classification: classification.rawValue,
                              incidentId: incidentID.description, action: action.rawValue, notified: notified)
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

    // MARK: third-party credentials

    private func notifyCredential(_ c: Credential, exposure: ExposureContext, actor: Actor, in tx: WriteTransaction) async throws -> ExposureResult {
        let now = store.clock.now()
        if let joined = try await joinOpenIncident(targetID: c.id.description, classification: .thirdParty, exposure: exposure, at: now, in: tx) {
            return joined
        }
        guard let identity = try await store.identity(c.identityID, in: tx.db) else { throw StoreError.corrupt("credential without identity") }
        let radius = try await blastRadius(of: c, identity: identity, in: tx.db)
        try await store.setCredentialStatus(c.id, .exposed, in: tx)
        let incidentID = IncidentID.random()
        let owner = identity.technicalOwner ?? identity.businessOwner ?? "unknown owner"
        let revocation = Self.revocationMethod(rule: c.ruleID, provider: c.provider)
        let notified = try await emit("incident.opened", ["incident_id": incidentID.description, "credential_id": c.id.description,
                                                          "identity_id": identity.id.description, "owner": owner, "provider": c.provider,
                                                          "action": "notify", "source": exposure.source, "revocation": revocation], in: tx) > 0
        var events = [
            IncidentEvent(at: exposure.receivedAt, kind: "received", detail: "\(exposure.source): \(exposure.where_)"),
            IncidentEvent(at: now, kind: "matched", detail: "\(c.provider) credential \(c.name) (\(c.id)) of identity \(identity.name)"),
        ]
        events.append(notificationEvent(notified: notified, owner: owner, incident: incidentID, at: now))
        let guidance = "Keyward cannot revoke this \(c.provider) credential at its provider. Revoke it there: \(revocation). Update its holders (blast radius), import the new value (`keyward import … --identity \(identity.id)`), then resolve this incident."
        let incident = Incident(
            id: incidentID, status: .open, targetKind: "credential", targetID: c.id.description, targetVersion: nil, identityID: identity.id,
            environment: c.environment, source: exposure.source, classification: .thirdParty, action: .notify, receivedAt: exposure.receivedAt,
            matchedAt: now, containedAt: nil, notifiedAt: notified ? now : nil, exposureCount: 1, blastRadiusJSON: Self.json(radius),
            huntJSON: "null", guidance: guidance, events: events, createdAt: now, updatedAt: now)
        try await store.insertIncident(incident, dedupeKey: c.id.description, in: tx)
        try await store.classifyExposure(exposure.id, classification: .thirdParty, targetID: c.id.description, incidentID: incidentID, in: tx)
        tx.audit(AuditEntry(actor: actor.name, action: "incident.opened", target: incidentID.description, details: [
            "credential_id": c.id.description, "provider": c.provider, "classification": ExposureClassification.thirdParty.rawValue,
            "action": ContainmentAction.notify.rawValue, "source": exposure.source, "exposure_id": exposure.id, "notified": String(notified),
        ]))
        return ExposureResult(exposureId: exposure.id, duplicate: false, classification: ExposureClassification.thirdParty.rawValue,
                              incidentId: incidentID.description, action: ContainmentAction.notify.rawValue, notified: notified)
    }

    /// The same credential leaked again while its incident is not resolved: the exposure joins
    /// that incident's timeline; nothing is done twice.
    private func joinOpenIncident(targetID: String, classification: ExposureClassification, exposure: ExposureContext, at now: Date,
                                  in tx: WriteTransaction) async throws -> ExposureResult? {
        guard var open = try await store.incident(dedupeKey: targetID, in: tx.db) else { return nil }
        open.exposureCount += 1
        open.events.append(IncidentEvent(at: now, kind: "exposure_added", detail: "\(exposure.source): \(exposure.where_)"))
        open.updatedAt = now
        try await store.updateIncident(open, in: tx)
        try await store.classifyExposure(exposure.id, classification: classification, targetID: targetID, incidentID: open.id, in: tx)
        return ExposureResult(exposureId: exposure.id, duplicate: false, classification: classification.rawValue, incidentId: open.id.description, action: nil)
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
    package func resolveIncident(_ id: IncidentID, reason: String, actor: Actor) async throws -> Incident {
        try Validate.text(reason, field: "reason", max: 500)
        return try await store.write { tx in
            guard var incident = try await self.store.incident(id, in: tx.db) else { throw KeywardError.notFound("incident") }
            guard incident.status != .resolved else { throw KeywardError(.conflict, "the incident is already resolved") }
            incident.status = .resolved
            incident.updatedAt = tx.now
            incident.events.append(IncidentEvent(at: tx.now, kind: "resolved", detail: reason))
            try await self.store.updateIncident(incident, dedupeKey: "\(incident.targetID)#\(incident.id)", in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: "incident.resolved", target: id.description, details: ["reason": reason]))
            try await self.emit("incident.resolved", ["incident_id": id.description, "target_id": incident.targetID], in: tx)
            return incident
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: WireCoding.encoder().encode(value), as: UTF8.self)) ?? "null"
    }
}
