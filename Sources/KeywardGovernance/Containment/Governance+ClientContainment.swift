import Foundation
import KeywardCore
import KeywardStore

/// Leaks of OAuth material: an access token (matched by its SHA-256) is revoked; a private key
/// (matched by the RFC 7638 thumbprint of its public half, which the scanner reports instead of
/// the key) contains every client registered with it — the client is revoked, its tokens die —
/// and opens an incident with the client's blast radius.
extension Governance {
    /// An exposed access token: revoked at once if it is still live; no incident (it dies within
    /// minutes anyway, and its client's keys were not exposed).
    func containToken(_ token: AccessTokenRecord, exposure: ExposureContext, actor: Principal, in tx: WriteTransaction) async throws -> ExposureOutcome {
        let now = tx.now
        let classification: ExposureClassification
        var action: ContainmentAction?
        if token.revokedAt != nil {
            classification = .alreadyRevoked
        } else if token.expiresAt <= now {
            classification = .expired
        } else if let client = try await store.client(token.clientID, in: tx.db), client.status != .active {
            classification = .alreadyRevoked
        } else {
            classification = .valid
            _ = try await store.revokeAccessToken(token, reason: "exposure \(exposure.id) reported by \(exposure.source)", in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .tokenRevoked, target: token.id.description, details: [
                "client_id": token.clientID.description, "reason": "exposed", "exposure_id": exposure.id.description,
            ]))
            action = .revoke
        }
        tx.audit(AuditEntry(actor: actor.name, action: .exposureMatched, target: token.id.description, details: [
            "exposure_id": exposure.id.description, "classification": classification.rawValue, "source": exposure.source,
            "client_id": token.clientID.description,
        ]))
        try await store.classifyExposure(exposure.id, classification: classification, target: .client(token.clientID), incidentID: nil, in: tx)
        return ExposureOutcome(exposureID: exposure.id, duplicate: false, classification: classification, incidentID: nil, action: action)
    }

    /// A private key registered to `client` was exposed: revoke the client (its tokens die with it)
    /// and open an incident, or join the client's open one.
    /// A thumbprint is public (anyone holding the public key can compute it), so a reporter that is
    /// not an admin opens the incident but does not revoke: the containment is withheld for a person
    /// to confirm, as for a key reported by its digest alone.
    func containClient(_ client: OAuthClient, exposure: ExposureContext, actor: Principal, in tx: WriteTransaction) async throws -> ExposureOutcome {
        let now = tx.now
        let classification: ExposureClassification = client.status == .active ? .valid : .alreadyRevoked
        if let joined = try await joinOpenIncident(target: .client(client.id), classification: classification, exposure: exposure, at: now, in: tx) {
            return joined
        }
        guard client.status == .active else {
            tx.audit(AuditEntry(actor: actor.name, action: .exposureMatched, target: client.id.description, details: [
                "exposure_id": exposure.id.description, "classification": classification.rawValue, "source": exposure.source,
            ]))
            try await store.classifyExposure(exposure.id, classification: classification, target: .client(client.id), incidentID: nil, in: tx)
            return ExposureOutcome(exposureID: exposure.id, duplicate: false, classification: classification, incidentID: nil, action: nil)
        }
        guard let identity = try await store.identity(client.identityID, in: tx.db) else { throw StoreError.corrupt("client without identity") }
        // The radius before containment: the tokens that were live when the key leaked.
        let radius = try await blastRadius(of: client, identity: identity, in: tx.db)
        let incidentID = IncidentID.random()
        var events = [
            IncidentEvent(at: exposure.receivedAt, kind: "received", detail: "\(exposure.source): \(exposure.where_)"),
            IncidentEvent(at: now, kind: "matched", detail: "a private key registered to OAuth client \(client.id) of identity \(identity.name)"),
        ]
        let action: ContainmentAction = actor.isAdmin ? .revoke : .notify
        var containedAt: Date?
        if action == .revoke {
            let reason = "private key exposed: exposure \(exposure.id) reported by \(exposure.source)"
            let tokens = try await store.revokeClient(client, reason: reason, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .clientRevoked, target: client.id.description,
                                details: ["reason": reason, "tokens_revoked": String(tokens), "exposure_id": exposure.id.description]))
            containedAt = store.clock.now()
            events.append(IncidentEvent(at: containedAt!, kind: "contained", detail: "revoked client \(client.id) and its \(tokens) live access token(s)"))
        } else {
            events.append(IncidentEvent(at: now, kind: "containment_withheld", detail:
                "the report named the key by its public thumbprint only, which anyone with the public key can compute; policy would revoke the client. Confirm, then revoke it (keyward clients revoke \(client.id))"))
        }
        let guidance = (action == .revoke ? "OAuth client \(client.id) was revoked and every token it held is dead. " : "Revoke OAuth client \(client.id) (every token it holds dies with it). ") + "Generate a new key pair where the client runs (never where the old one leaked), register a new client for identity \(identity.id) with the new public key (`keyward clients create`), deploy it, remove the leaked key from where it was found (rewrite history if it was committed), then resolve this incident."
        return try await openIncident(IncidentDraft(
            id: incidentID, target: .client(client.id), version: nil, identity: identity, environment: client.environment.rawValue,
            classification: classification, action: action, containedAt: containedAt, events: events, radius: radius,
            hunt: HuntReport(since: now, outcomes: [:], failures: 0, sources: [], scopesUsed: []), guidance: guidance, evidence: "key_thumbprint"),
            exposure: exposure, actor: actor, now: now, in: tx)
    }

    /// A client's blast radius: its identity, scopes, live tokens (as derived credentials) and declared holders.
    func blastRadius(of client: OAuthClient, identity: Identity, in db: StoreDB) async throws -> BlastRadiusReport {
        let now = store.clock.now()
        let target = BlastRadiusReport.Target(kind: "client", id: client.id.description, version: nil, prefix: "", provider: "keyward",
                                              environment: client.environment.rawValue, status: client.status.rawValue)
        let declared = try await store.consumers(holding: .client(client.id), in: db)
        let live = try await store.liveTokens(of: client.id, limit: 1_000, in: db, now: now).map {
            BlastRadiusReport.Linked(kind: "oauth_token", id: $0.id.description, status: "active", environment: client.environment.rawValue,
                                     identityId: client.identityID.description)
        }
        let scopes = client.scopes.map(\.value)
        return BlastRadiusReport(target: target, owner: Self.owner(identity), scopes: scopes, resources: Self.resources(scopes), derivedCredentials: live,
                                 declaredConsumers: declared.map(Self.declared), observedConsumers: [], reuse: [],
                                 thirdParties: Self.thirdParties(identity: identity, consumers: declared))
    }
}
