import Foundation
import KeywardCore
import KeywardStore
import Logging

extension Governance {
    /// The audit actor of what a detector's policy does.
    static let detector = Principal(name: "keyward-detector", isAdmin: true)

    /// Records a finding and does what the policy said (`action`): a block is already in force
    /// on the node that saw it (`blockedUntil`); a quarantine is done here — the key and its
    /// derived keys, in the same transaction as the record, with an incident carrying the evidence.
    /// Every finding is audited and announced (`detection.raised`, with the owner).
    @discardableResult
    package func recordDetection(_ f: Finding, subject: DetectionSubject?, action: DetectionAction, blockedUntil: Date?) async throws -> DetectionRecord {
        try await store.write { tx in
            var record = DetectionRecord(
                id: .random(), detector: f.detector, action: action, status: .open, keyID: subject?.keyID ?? f.keyID, clientID: subject?.clientID,
                identityID: f.identityID, environment: f.environment?.rawValue, source: f.source.map { String($0.prefix(256)) }, at: f.at,
                evidence: f.evidence, blockedUntil: action == .block && f.source != nil ? blockedUntil : nil)
            var identity: Identity?
            if let id = f.identityID { identity = try await self.store.identity(id, in: tx.db) }
            let owner = identity.flatMap { $0.technicalOwner ?? $0.businessOwner }
            var effective = action
            if action == .quarantine {
                if let kid = record.keyID, var key = try await self.store.key(kid, in: tx.db), let identity {
                    record.incidentID = try await self.quarantineForDetection(&key, record, identity: identity, in: tx)
                } else {
                    // An OAuth client's tokens have no quarantine: announced, and a person revokes the client.
                    effective = .notify
                }
            }
            record.action = effective
            try await self.store.insertDetection(record, in: tx)
            var details = ["detector": f.detector.rawValue, "action": effective.rawValue, "summary": f.evidence.summary]
            if let k = record.keyID { details["key_id"] = k.description }
            if let c = record.clientID { details["client_id"] = c.description }
            if let i = f.identityID { details["identity_id"] = i.description }
            if let s = record.source { details["source"] = s }
            if let inc = record.incidentID { details["incident_id"] = inc.description }
            if let b = record.blockedUntil { details["blocked_until"] = String(b.unixMillis) }
            tx.audit(AuditEntry(actor: Self.detector.name, action: .detectionRaised, target: record.id.description, details: details))
            var data = details
            data["detection_id"] = record.id.description
            data["owner"] = owner ?? "unknown owner"
            data["count"] = String(f.evidence.count)
            data["window_seconds"] = String(f.evidence.windowSeconds)
            if let b = f.evidence.baseline { data["baseline"] = b >= 10 ? String(Int(b.rounded())) : String(format: "%.2f", b) }
            try await self.emit(.detectionRaised, data, in: tx)
            return record
        }
    }

    /// Quarantines `key` (and what derives from it) for a detection and opens an incident with the
    /// evidence — or adds the detection to the key's open incident. Returns the incident.
    private func quarantineForDetection(_ key: inout APIKey, _ d: DetectionRecord, identity: Identity, in tx: WriteTransaction) async throws -> IncidentID {
        let now = tx.now
        let evidence = IncidentEvent(at: d.at, kind: "detected", detail: "\(d.detector.rawValue) (detection \(d.id)): \(d.evidence.summary)"
                                     + (d.evidence.sources.isEmpty ? "" : "; sources: \(d.evidence.sources.joined(separator: ", "))"))
        let reason = "detection \(d.id): \(d.detector.rawValue)"
        let ids = key.status == .active ? try await quarantine(&key, reason: reason, actor: Self.detector, in: tx) : []
        let contained = IncidentEvent(at: now, kind: "contained", detail: ids.isEmpty
            ? "key \(key.id) was already \(key.status.rawValue)" : "quarantined \(ids.map(\.description).joined(separator: ", "))")
        if var open = try await store.incident(dedupeKey: CredentialRef.key(key.id).description, in: tx.db) {
            open.events += [evidence, contained]
            open.updatedAt = now
            try await store.updateIncident(open, in: tx)
            return open.id
        }
        let version = key.currentVersion
        let radius = try await blastRadius(of: key, version: version, identity: identity, in: tx.db)
        let hunt = try await self.hunt(key.id, since: max(key.createdAt, d.at.addingTimeInterval(-86_400)), in: tx.db)
        let owner = identity.technicalOwner ?? identity.businessOwner ?? "unknown owner"
        let incidentID = IncidentID.random()
        var data = ["incident_id": incidentID.description, "key_id": key.id.description, "identity_id": identity.id.description, "owner": owner,
                    "action": ContainmentAction.quarantine.rawValue, "classification": ExposureClassification.detected.rawValue,
                    "source": "detector:\(d.detector.rawValue)", "detection_id": d.id.description]
        let notified = try await emit(.incidentOpened, data, in: tx) > 0
        let guidance = "A detector (\(d.detector.rawValue)) found key \(key.id) abused and quarantined it: verify answers `quarantined`. Read the evidence and the hunt. If the traffic was legitimate, release it (`keyward detections release \(d.id) --reason …`); otherwise rotate it (`keyward keys rotate \(key.id)`), find who holds it (blast radius), then resolve this incident."
        let incident = Incident(
            id: incidentID, status: .contained, target: .key(key.id), targetVersion: version, identityID: identity.id, environment: key.environment.rawValue,
            source: "detector:\(d.detector.rawValue)", classification: .detected, action: .quarantine, receivedAt: d.at, matchedAt: now, containedAt: now,
            notifiedAt: notified ? now : nil, exposureCount: 0, blastRadiusJSON: StoredJSON.string(radius), huntJSON: StoredJSON.string(hunt),
            guidance: guidance, events: [evidence, contained, notificationEvent(notified: notified, owner: owner, incident: incidentID, at: now)],
            createdAt: now, updatedAt: now)
        try await store.insertIncident(incident, dedupeKey: CredentialRef.key(key.id).description, in: tx)
        tx.audit(AuditEntry(actor: Self.detector.name, action: .incidentOpened, target: incidentID.description, details: [
            "key_id": key.id.description, "classification": ExposureClassification.detected.rawValue, "action": ContainmentAction.quarantine.rawValue,
            "source": "detector:\(d.detector.rawValue)", "detection_id": d.id.description,
            "time_to_contain_ms": String(now.unixMillis - d.at.unixMillis), "notified": String(notified),
        ]))
        data["time_to_contain_ms"] = String(max(0, now.unixMillis - d.at.unixMillis))
        try await emit(.incidentContained, data, in: tx)
        return incidentID
    }

    /// An admin's release: the key (and its derived keys) out of quarantine, or the source
    /// unblocked (the caller lifts the block in this node's engine). Refused while the key is
    /// quarantined for a leak, not by this detection.
    package func releaseDetection(_ id: DetectionID, reason: String, actor: Principal) async throws -> DetectionRecord {
        try Validate.text(reason, field: "reason", max: 500)
        guard actor.isAdmin else { throw KeywardError(.forbidden, "releasing a detection needs keyward:admin") }
        return try await store.write { tx in
            guard var d = try await self.store.detection(id, in: tx.db) else { throw KeywardError.notFound("detection") }
            guard d.status == .open else { throw KeywardError(.conflict, "the detection is already released") }
            if d.action == .quarantine, let kid = d.keyID, let key = try await self.store.key(kid, in: tx.db) {
                if let inc = try await self.store.incident(dedupeKey: CredentialRef.key(kid).description, in: tx.db), inc.classification != .detected {
                    throw KeywardError(.conflict, "key \(kid) is also contained for a leak (incident \(inc.id)); rotate it instead of releasing it")
                }
                let plan = KeyLifecycle.planRelease(of: key, derived: try await self.derivationTree(of: key, in: tx), reason: "detection \(id) released: \(reason)",
                                                    actor: actor.name, at: tx.now)
                try await self.execute(plan, in: tx)
                if let incID = d.incidentID, var inc = try await self.store.incident(incID, in: tx.db) {
                    inc.events.append(IncidentEvent(at: tx.now, kind: "released", detail: "\(actor.name) released detection \(id): \(reason)"))
                    inc.updatedAt = tx.now
                    try await self.store.updateIncident(inc, in: tx)
                }
            }
            d.status = .released
            d.releasedAt = tx.now
            d.releasedBy = actor.name
            d.releaseReason = reason
            if let b = d.blockedUntil, b > tx.now { d.blockedUntil = tx.now }
            try await self.store.updateDetection(d, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .detectionReleased, target: id.description, details: [
                "reason": reason, "detector": d.detector.rawValue, "action": d.action.rawValue,
            ]))
            return d
        }
    }

    package func detections(_ filter: DetectionFilter, limit: Int, after cursor: String?) async throws -> Page<DetectionRecord> {
        try await store.listDetections(filter, limit: limit, after: cursor)
    }

    package func detection(_ id: DetectionID) async throws -> DetectionRecord {
        guard let d = try await store.detection(id) else { throw KeywardError.notFound("detection") }
        return d
    }
}

/// What a detection is about when it is not a key: an OAuth client (its tokens).
package struct DetectionSubject: Sendable {
    package var keyID: KeyID?
    package var clientID: OAuthClientID?
    package init(keyID: KeyID? = nil, clientID: OAuthClientID? = nil) {
        self.keyID = keyID
        self.clientID = clientID
    }
}
