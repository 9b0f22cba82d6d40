/// The first place where the state tables and the audit log disagree.
package struct StateDisagreement: Sendable, Equatable, CustomStringConvertible {
    package var table: String
    package var id: String
    package var field: String
    /// What the audit log implies, and the record that set it (0: no record).
    package var expected: String
    package var seq: Int64
    package var found: String

    package init(table: String, id: String, field: String, expected: String, seq: Int64, found: String) {
        self.table = table
        self.id = id
        self.field = field
        self.expected = expected
        self.seq = seq
        self.found = found
    }

    package var description: String {
        let source = seq > 0 ? "the audit (record \(seq)) says \(expected)" : "the audit says \(expected)"
        return "\(table) \(id): \(field) is \(found), \(source)"
    }
}

/// Compares the rows of the state tables, one at a time in any order, with what `AuditReplay`
/// built; pure (the caller reads the tables). A row no audit record created is a disagreement,
/// and so is a key, identity or incident the audit created that no row holds (`missingRow`).
package struct AuditStateCheck: Sendable {
    private var keys: [KeyID: AuditedKey]
    private var identities: [IdentityID: AuditedStatus]
    private var incidents: [IncidentID: AuditedStatus]

    package init(expected: AuditReplay) {
        keys = expected.keys
        identities = expected.identities
        incidents = expected.incidents
    }

    static let noRecord = "no row (no audit record creates it)"

    /// A row of `api_keys` with its versions.
    package mutating func compare(keyRow id: String, _ found: AuditedKey) -> StateDisagreement? {
        func differ(_ field: String, _ expected: String, _ seq: Int64, _ got: String) -> StateDisagreement {
            StateDisagreement(table: "api_keys", id: id, field: field, expected: expected, seq: seq, found: got)
        }
        guard let key = KeyID(id), let e = keys.removeValue(forKey: key) else { return differ("row", Self.noRecord, 0, "present") }
        if found.identityID != e.identityID { return differ("identity_id", e.identityID, e.seq, found.identityID) }
        if found.scopes != e.scopes { return differ("scopes", e.scopes, e.seq, found.scopes) }
        if found.status != e.status { return differ("status", e.status, e.seq, found.status) }
        if found.currentVersion != e.currentVersion { return differ("current_version", String(e.currentVersion), e.seq, String(found.currentVersion)) }
        let fv = found.versions.map { String($0.version) }.joined(separator: ","), ev = e.versions.map { String($0.version) }.joined(separator: ",")
        if fv != ev { return differ("versions", ev, e.seq, fv) }
        for (f, x) in zip(found.versions, e.versions) {
            if f.expiresAt != x.expiresAt { return differ("version \(x.version) expires_at", Self.show(x.expiresAt), e.seq, Self.show(f.expiresAt)) }
            if f.graceUntil != x.graceUntil { return differ("version \(x.version) grace_until", Self.show(x.graceUntil), e.seq, Self.show(f.graceUntil)) }
        }
        return nil
    }

    /// A row of `identities`.
    package mutating func compare(identityRow id: String, status: String) -> StateDisagreement? {
        let expected = IdentityID(id).flatMap { identities.removeValue(forKey: $0) }
        return Self.compare("identities", id, status, expected)
    }

    /// A row of `incidents`.
    package mutating func compare(incidentRow id: String, status: String) -> StateDisagreement? {
        let expected = IncidentID(id).flatMap { incidents.removeValue(forKey: $0) }
        return Self.compare("incidents", id, status, expected)
    }

    /// After every row was compared: the first (by table, then id) that the audit created and
    /// no table holds.
    package func missingRow() -> StateDisagreement? {
        func gone(_ table: String, _ id: String, _ s: String, _ seq: Int64) -> StateDisagreement {
            StateDisagreement(table: table, id: id, field: "row", expected: s, seq: seq, found: "missing")
        }
        if let (id, k) = keys.min(by: { $0.key < $1.key }) { return gone("api_keys", id.description, "a row, status \(k.status)", k.seq) }
        if let (id, s) = identities.min(by: { $0.key < $1.key }) { return gone("identities", id.description, "a row, status \(s.status)", s.seq) }
        if let (id, s) = incidents.min(by: { $0.key < $1.key }) { return gone("incidents", id.description, "a row, status \(s.status)", s.seq) }
        return nil
    }

    private static func compare(_ table: String, _ id: String, _ status: String, _ expected: AuditedStatus?) -> StateDisagreement? {
        guard let expected else { return StateDisagreement(table: table, id: id, field: "row", expected: noRecord, seq: 0, found: "present") }
        guard status == expected.status else {
            return StateDisagreement(table: table, id: id, field: "status", expected: expected.status, seq: expected.seq, found: status)
        }
        return nil
    }

    private static func show(_ millis: Int64?) -> String { millis.map(String.init) ?? "none" }
}
