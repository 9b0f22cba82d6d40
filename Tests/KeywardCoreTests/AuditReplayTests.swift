import Foundation
import KeywardCore
import Testing

/// case 75 of docs/security-cases.md (issue 10 item 9): the audit replayed into the state it implies, and the
/// first row of the tables that disagrees. Pure: records in, expected state out, rows compared.
@Suite("Audit replay")
struct AuditReplayTests {
    let identity = IdentityID.random(), key = KeyID.random(), incident = IncidentID.random()

    /// Records as Governance writes them for: create an identity, issue, rotate,
    /// quarantine by a leak (incident), rotate out of quarantine, resolve, revoke, decommission.
    func session() -> [AuditRecord] {
        let e: [(String, String, [String: String])] = [
            ("identity.created", identity.description, ["name": "orders"]),
            ("key.issued", key.description, ["identity_id": identity.description, "scopes": "orders:write orders:read", "version": "1",
                                             "expires_at": "2000", "fingerprint": "f", "prefix": "p"]),
            ("key.rotated", key.description, ["from_version": "1", "to_version": "2", "grace_until": "1500", "expires_at": "3000"]),
            ("key.quarantined", key.description, ["reason": "exposure"]),
            ("incident.opened", incident.description, ["key_id": key.description, "action": "quarantine"]),
            ("key.rotated", key.description, ["from_version": "2", "to_version": "3", "grace_until": "1600", "expires_at": "never",
                                              "quarantine_lifted": "true"]),
            ("incident.resolved", incident.description, ["reason": "rotated"]),
            ("policy.exception", key.description, ["rule": "x"]),
            ("key.revoked", key.description, ["reason": "done"]),
            ("identity.decommissioned", identity.description, ["revoked_keys": "0"]),
        ]
        var out: [AuditRecord] = []
        for (action, target, details) in e {
            let r = AuditRecord.next(after: out.last?.seq ?? 0, prevHash: out.last?.hash ?? AuditRecord.genesisHash, at: 1,
                                     entry: AuditEntry(actor: "admin", action: AuditAction(rawValue: action)!, target: target, details: details))
            out.append(r)
        }
        return out
    }

    var expectedKey: AuditedKey {
        AuditedKey(identityID: identity.description, scopes: "orders:read orders:write", status: "revoked", currentVersion: 3, versions: [
            AuditedKeyVersion(version: 1, expiresAt: 2000, graceUntil: 1500), AuditedKeyVersion(version: 2, expiresAt: 3000, graceUntil: 1600),
            AuditedKeyVersion(version: 3, expiresAt: nil, graceUntil: nil),
        ])
    }

    @Test("a session replays to the final status, versions, expiry and grace of each key, identity and incident")
    func replay() {
        let r = AuditReplay.replay(session())
        var k = r.keys[key]
        k?.seq = 0
        #expect(k == expectedKey)
        #expect(r.keys[key]?.seq == 9)
        #expect(r.identities[identity]?.status == "decommissioned")
        #expect(r.incidents[incident] == AuditedStatus(status: "resolved", seq: 7))
        #expect(r.skipped == 0)
    }

    @Test("matching rows pass; a key un-revoked in its table is named with both values")
    func unrevoked() {
        var check = AuditStateCheck(expected: AuditReplay.replay(session()))
        #expect(check.compare(identityRow: identity.description, status: "decommissioned") == nil)
        #expect(check.compare(incidentRow: incident.description, status: "resolved") == nil)
        var row = expectedKey
        row.status = "active"
        let d = check.compare(keyRow: key.description, row)
        #expect(d == StateDisagreement(table: "api_keys", id: key.description, field: "status", expected: "revoked", seq: 9, found: "active"))
        #expect(d?.description == "api_keys \(key): status is active, the audit (record 9) says revoked")
    }

    @Test("each audited key field is compared: identity, scopes, current version, versions, expiry, grace")
    func keyFields() {
        let expected = AuditReplay.replay(session())
        func field(_ edit: (inout AuditedKey) -> Void) -> String? {
            var check = AuditStateCheck(expected: expected)
            var row = expectedKey
            edit(&row)
            return check.compare(keyRow: key.description, row)?.field
        }
        #expect(field { _ in } == nil)
        #expect(field { $0.identityID = IdentityID.keyward.description } == "identity_id")
        #expect(field { $0.scopes = "keyward:admin" } == "scopes")
        #expect(field { $0.currentVersion = 2 } == "current_version")
        #expect(field { $0.versions.append(AuditedKeyVersion(version: 4, expiresAt: nil, graceUntil: nil)) } == "versions")
        #expect(field { $0.versions[1].expiresAt = nil } == "version 2 expires_at")
        #expect(field { $0.versions[0].graceUntil = 99_999 } == "version 1 grace_until")
    }

    @Test("a row no record creates, and a record whose row is gone, are disagreements")
    func missingAndUnaudited() {
        var check = AuditStateCheck(expected: AuditReplay.replay(session()))
        let stranger = IdentityID.random().description
        #expect(check.compare(identityRow: stranger, status: "active")?.expected == "no row (no audit record creates it)")
        #expect(check.compare(identityRow: "not-an-id", status: "active")?.field == "row")
        #expect(check.compare(keyRow: key.description, expectedKey) == nil)
        #expect(check.compare(identityRow: identity.description, status: "decommissioned") == nil)
        // The incident's row was deleted.
        let gone = check.missingRow()
        #expect(gone?.table == "incidents" && gone?.id == incident.description && gone?.found == "missing")
    }

    @Test("incidents open as contained for revoke or quarantine, open for notify; an unreadable record is skipped")
    func incidentsAndSkips() {
        let notified = IncidentID.random()
        var records = [AuditRecord]()
        for (action, target, details) in [("incident.opened", notified.description, ["action": "notify"]),
                                          ("key.revoked", KeyID.random().description, ["reason": "unknown key"]),
                                          ("key.issued", KeyID.random().description, ["version": "x"])] {
            records.append(AuditRecord(seq: Int64(records.count + 1), at: 0, actor: "a", action: action, target: target,
                                       details: AuditEntry(actor: "a", action: AuditAction(rawValue: action)!, target: target, details: details).canonicalDetails,
                                       prevHash: "", hash: ""))
        }
        let r = AuditReplay.replay(records)
        #expect(r.incidents[notified]?.status == "open")
        #expect(r.skipped == 2)
        #expect(r.keys.isEmpty)
    }
}
