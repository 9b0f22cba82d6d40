/// Every action the audit chain records. Stored as the raw value, which never changes: the
/// chain's hashes, `keyward audit verify`'s replay and SIEM queries depend on it.
package enum AuditAction: String, Sendable, CaseIterable, Codable {
    case systemBootstrap = "system.bootstrap"
    case adminRecovered = "admin.recovered"
    case identityCreated = "identity.created"
    case identityUpdated = "identity.updated"
    case identityDecommissioned = "identity.decommissioned"
    /// Issue 17: its owner confirmed the identity is still needed (recertification).
    case identityConfirmed = "identity.confirmed"
    /// Issue 17: a management key signed in to the console, or its session was ended by sign-out.
    case consoleSignedIn = "console.signed_in"
    case consoleSignedOut = "console.signed_out"
    case keyIssued = "key.issued"
    case keyRefused = "key.refused"
    case keyDerived = "key.derived"
    case keyRotated = "key.rotated"
    case keyRevoked = "key.revoked"
    case keyQuarantined = "key.quarantined"
    /// Out of quarantine by an admin's decision (a detection released).
    case keyReleased = "key.released"
    /// A key's own settings changed (its rate limit).
    case keyUpdated = "key.updated"
    /// Issue 15 (privilege): a key's scopes narrowed to a subset (before/after, the window and its evidence).
    case keyScopesNarrowed = "key.scopes_narrowed"
    case policyException = "policy.exception"
    case consumerCreated = "consumer.created"
    case consumerDeleted = "consumer.deleted"
    case credentialImported = "credential.imported"
    case credentialDeleted = "credential.deleted"
    case exposureReported = "exposure.reported"
    case exposureRejected = "exposure.rejected"
    case exposureMatched = "exposure.matched"
    case incidentOpened = "incident.opened"
    case incidentResolved = "incident.resolved"
    case detectionRaised = "detection.raised"
    case detectionReleased = "detection.released"
    case webhookCreated = "webhook.created"
    case webhookDeleted = "webhook.deleted"
    case clientRegistered = "client.registered"
    case clientRevoked = "client.revoked"
    /// Keys a client (or the issuer a federated client trusts) published at its `jwks_uri` after
    /// registration, recorded by thumbprint so a leak of their private half is still matched.
    case clientKeysAdded = "client.keys_added"
    /// A client failed to authenticate at the token endpoint (the assertion's fingerprint only).
    case clientAuthFailed = "client.auth_failed"
    case tokenRevoked = "token.revoked"
    case signingKeyRotated = "signing_key.rotated"
    // Issue 15 (rotation): a rotation's grace window closed (details: reason, version,
    // grace_until, lagging) or was extended for lagging declared consumers; a consumer's
    // match sources changed.
    case keyRotationClosed = "key.rotation_closed"
    case keyRotationExtended = "key.rotation_extended"
    case consumerUpdated = "consumer.updated"
}
