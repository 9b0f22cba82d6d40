import Foundation

/// A key as the audit log accounts for it (or as its row holds it, to compare). Statuses are
/// raw values so a tampered row with an unknown status still compares.
package struct AuditedKey: Sendable, Equatable {
    package var identityID: String
    /// Space-separated, in string order.
    package var scopes: String
    package var status: String
    package var currentVersion: Int
    package var versions: [AuditedKeyVersion]
    /// The last record that set this state (0 for a row read from the tables).
    package var seq: Int64

    package init(identityID: String, scopes: String, status: String, currentVersion: Int, versions: [AuditedKeyVersion], seq: Int64 = 0) {
        self.identityID = identityID
        self.scopes = scopes
        self.status = status
        self.currentVersion = currentVersion
        self.versions = versions
        self.seq = seq
    }
}

package struct AuditedKeyVersion: Sendable, Equatable {
    package var version: Int
    /// Unix milliseconds; nil: never expires.
    package var expiresAt: Int64?
    /// Unix milliseconds; nil: not rotated away.
    package var graceUntil: Int64?

    package init(version: Int, expiresAt: Int64?, graceUntil: Int64?) {
        self.version = version
        self.expiresAt = expiresAt
        self.graceUntil = graceUntil
    }
}

/// A status and the last record that set it.
package struct AuditedStatus: Sendable, Equatable {
    package var status: String
    package var seq: Int64
    package init(status: String, seq: Int64) {
        self.status = status
        self.seq = seq
    }
}

/// Replays audit records into the state of keys, identities and incidents they imply; pure,
/// streaming (feed records in `seq` order). What `audit verify` compares with the tables.
///
/// The actions that change that state (Governance): `system.bootstrap` and
/// `identity.created` create an active identity, `identity.decommissioned` ends it; `key.issued`
/// creates an active key at version 1; `key.rotated` adds a version (with its expiry), sets the
/// previous one's grace and lifts a quarantine (`quarantine_lifted`); `key.rotation_closed` and
/// `key.rotation_extended` set a version's grace (`version`, `grace_until`); `key.revoked` and
/// `key.quarantined` set the status, `key.released` lifts a quarantine; `key.scopes_narrowed` sets the scopes; `incident.opened` creates an incident, contained when its
/// action was revoke or quarantine, else open; `incident.resolved` closes it. Other actions change
/// none of these. A record the replay cannot interpret (an unknown target, a malformed detail)
/// is counted in `skipped` and otherwise ignored.
package struct AuditReplay: Sendable {
    package private(set) var keys: [KeyID: AuditedKey] = [:]
    package private(set) var identities: [IdentityID: AuditedStatus] = [:]
    package private(set) var incidents: [IncidentID: AuditedStatus] = [:]
    package private(set) var skipped = 0

    package init() {}

    package static func replay(_ records: some Sequence<AuditRecord>) -> AuditReplay {
        var r = AuditReplay()
        for record in records { r.apply(record) }
        return r
    }

    package mutating func apply(_ r: AuditRecord) {
        // An action this build does not know changes no state it replays.
        guard let action = AuditAction(rawValue: r.action) else { return }
        switch action {
        case .systemBootstrap, .identityCreated:
            guard let id = IdentityID(r.target) else { return skip() }
            identities[id] = AuditedStatus(status: IdentityStatus.active.rawValue, seq: r.seq)
        case .identityDecommissioned:
            guard let id = IdentityID(r.target), identities[id] != nil else { return skip() }
            identities[id] = AuditedStatus(status: IdentityStatus.decommissioned.rawValue, seq: r.seq)
        case .keyIssued:
            let d = details(r)
            guard let id = KeyID(r.target), let identity = d["identity_id"], let scopes = d["scopes"],
                  let version = d["version"].flatMap({ Int($0) }), let expires = d["expires_at"].flatMap(Self.millis) else { return skip() }
            keys[id] = AuditedKey(identityID: identity, scopes: scopes.split(separator: " ").sorted().joined(separator: " "), status: KeyStatus.active.rawValue, currentVersion: version,
                                  versions: [AuditedKeyVersion(version: version, expiresAt: expires, graceUntil: nil)], seq: r.seq)
        case .keyRotated:
            let d = details(r)
            guard let id = KeyID(r.target), var key = keys[id], let from = d["from_version"].flatMap({ Int($0) }),
                  let to = d["to_version"].flatMap({ Int($0) }), let grace = d["grace_until"].flatMap({ Int64($0) }),
                  let expires = d["expires_at"].flatMap(Self.millis) else { return skip() }
            for i in key.versions.indices where key.versions[i].version == from { key.versions[i].graceUntil = grace }
            key.versions.append(AuditedKeyVersion(version: to, expiresAt: expires, graceUntil: nil))
            key.currentVersion = to
            if d["quarantine_lifted"] == "true" { key.status = KeyStatus.active.rawValue }
            key.seq = r.seq
            keys[id] = key
        case .keyScopesNarrowed:
            guard let id = KeyID(r.target), keys[id] != nil, let scopes = details(r)["scopes"] else { return skip() }
            keys[id]!.scopes = scopes.split(separator: " ").sorted().joined(separator: " ")
            keys[id]!.seq = r.seq
        case .keyRotationClosed, .keyRotationExtended:
            let d = details(r)
            guard let id = KeyID(r.target), var key = keys[id], let version = d["version"].flatMap({ Int($0) }),
                  let grace = d["grace_until"].flatMap({ Int64($0) }), key.versions.contains(where: { $0.version == version }) else { return skip() }
            for i in key.versions.indices where key.versions[i].version == version { key.versions[i].graceUntil = grace }
            key.seq = r.seq
            keys[id] = key
        case .keyRevoked, .keyQuarantined:
            guard let id = KeyID(r.target), keys[id] != nil else { return skip() }
            keys[id]!.status = (action == .keyRevoked ? KeyStatus.revoked : KeyStatus.quarantined).rawValue
            keys[id]!.seq = r.seq
        case .keyReleased:
            guard let id = KeyID(r.target), keys[id]?.status == KeyStatus.quarantined.rawValue else { return skip() }
            keys[id]!.status = KeyStatus.active.rawValue
            keys[id]!.seq = r.seq
        case .incidentOpened:
            guard let id = IncidentID(r.target), let taken = details(r)["action"] else { return skip() }
            let contained = taken == ContainmentAction.revoke.rawValue || taken == ContainmentAction.quarantine.rawValue
            incidents[id] = AuditedStatus(status: (contained ? IncidentStatus.contained : IncidentStatus.open).rawValue, seq: r.seq)
        case .incidentResolved:
            guard let id = IncidentID(r.target), incidents[id] != nil else { return skip() }
            incidents[id] = AuditedStatus(status: IncidentStatus.resolved.rawValue, seq: r.seq)
        default:
            return
        }
    }

    private mutating func skip() { skipped += 1 }

    private func details(_ r: AuditRecord) -> [String: String] {
        ((try? JSONSerialization.jsonObject(with: Data(r.details.utf8))) as? [String: String]) ?? [:]
    }

    /// `"never"` → nil (no expiry); Unix milliseconds → the value; anything else fails.
    private static func millis(_ s: String) -> Int64?? {
        s == "never" ? .some(nil) : Int64(s).map { .some($0) }
    }
}
