/// The events a webhook may subscribe to (`*` subscribes to all). The raw value is the
/// event's `type` on the wire.
package enum WebhookEventType: String, Sendable, CaseIterable, Codable {
    case incidentOpened = "incident.opened"
    case incidentContained = "incident.contained"
    case incidentResolved = "incident.resolved"
    case keyRevoked = "key.revoked"
    case keyRotated = "key.rotated"
    case keyExpiring = "key.expiring"
    /// Issue 15 (privilege): a key's scopes were narrowed to what it was observed to use.
    case keyScopesNarrowed = "key.scopes_narrowed"
    /// A detector at the verify point raised a finding (with its evidence and what the policy did).
    case detectionRaised = "detection.raised"
    // Issue 15 (rotation): the grace window was extended for lagging declared consumers; it closed.
    case keyRotationLagging = "key.rotation_lagging"
    case keyRotationClosed = "key.rotation_closed"
    /// Issue 17: an identity is due for its owner's confirmation (recertification); repeated weekly while due.
    case reviewDue = "review.due"
}
