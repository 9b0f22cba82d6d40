import Foundation

/// Everything the posture checks read: a snapshot of the inventory and its telemetry.
package struct PostureInput: Sendable {
    package var now: Date
    package var policy: PosturePolicy
    package var identities: [Identity]
    package var keys: [APIKey]
    package var credentials: [Credential]
    package var consumers: [Consumer]
    package var clients: [OAuthClient]
    package var incidents: [Incident]
    /// Exposures reported to Keyward that matched nothing in the inventory.
    package var unownedExposures: Int
    package var detections: [DetectionRecord]
    /// Per live key with verify telemetry over the window, the scopes it exercised.
    package var exercisedScopes: [KeyID: Set<Scope>]
    package var usageWindowDays: Int
    /// Each identity's last owner confirmation (recertification); nil when Keyward has no
    /// review records to read.
    package var lastConfirmed: [IdentityID: Date]?
    package var reviewPolicy = ReviewPolicy()

    package init(now: Date, policy: PosturePolicy = PosturePolicy(), identities: [Identity], keys: [APIKey], credentials: [Credential] = [],
                 consumers: [Consumer] = [], clients: [OAuthClient] = [], incidents: [Incident] = [], unownedExposures: Int = 0,
                 detections: [DetectionRecord] = [], exercisedScopes: [KeyID: Set<Scope>] = [:], usageWindowDays: Int = 30) {
        self.now = now
        self.policy = policy
        self.identities = identities
        self.keys = keys
        self.credentials = credentials
        self.consumers = consumers
        self.clients = clients
        self.incidents = incidents
        self.unownedExposures = unownedExposures
        self.detections = detections
        self.exercisedScopes = exercisedScopes
        self.usageWindowDays = usageWindowDays
    }

    /// A key that verify would still accept (or quarantine): not revoked, its current version not expired.
    package func isLive(_ k: APIKey) -> Bool {
        k.status != .revoked && (k.current?.expiresAt.map { $0 > now } ?? true)
    }

    func days(_ from: Date) -> Int { Int(now.timeIntervalSince(from) / 86_400) }
}

extension Scope {
    /// A scope that grants everything, or administration, of what it names.
    var isWide: Bool {
        let v = value.lowercased()
        return v == "*" || v.hasSuffix(":*") || v.hasSuffix("/*") || v.split(whereSeparator: { ":/.".contains($0) }).contains { $0 == "admin" || $0 == "all" }
    }
}
