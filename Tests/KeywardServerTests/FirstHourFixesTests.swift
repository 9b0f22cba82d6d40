import Foundation
import KeywardAPI
import KeywardCore
import KeywardTesting
import Testing

/// Issue 11: what a new user met in the first hour — incidents out of order, a revoked key
/// whose version table still said `current`, a test key reported as "live", and a notify
/// incident that told nobody and said nothing about it.
@Suite("first-hour fixes", .serialized)
struct FirstHourFixesTests {
    static let builtin = "idn_00000000000000000000000000000000"

    static func report(_ s: TestServer, _ key: String, token: String) async throws -> ExposureResult {
        let item: [String: Any] = ["rule_id": "keyward.api-key", "sha256": SecretDigest(hashing: key.utf8).hex,
                                   "possession_proof": PossessionProof.proof(of: Array(key.utf8)).hex, "path": "app.env", "line": 1]
        let body = try JSONSerialization.data(withJSONObject: ["source": "scanner", "items": [item]])
        let r = try await s.request("POST", "/v1/exposures", body: String(decoding: body, as: UTF8.self), token: .some(token))
        return try #require(try r.decode(ExposureReceipt.self).results?.first)
    }

    static func versionStates(_ s: TestServer, _ id: String) async throws -> [String] {
        try await s.request("GET", "/v1/keys/\(id)").decode(KeyResponse.self).versions.map(\.state)
    }

    @Test("incidents list newest first, across pages, whatever their random ids")
    func incidentsNewestFirst() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity()
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"])
            var opened: [String] = []
            for _ in 0..<7 {
                let (_, key) = try await s.issueKey(identity: idn)
                opened.append(try #require(try await Self.report(s, key, token: reporter).incidentId))
                clock.advance(by: 1)
            }
            var listed: [String] = []
            var cursor: String?
            repeat {
                let page = try await s.request("GET", "/v1/incidents?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")).json()
                listed += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(listed == opened.reversed())
            #expect(try await s.request("GET", "/v1/incidents?cursor=aW5jX3g").status == 400)
        }
    }

    @Test("a version table tells the truth: rotated, then every version revoked; a test key's current version quarantined; expired")
    func versionStates() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            let idn = try await s.createIdentity()
            let (id, _) = try await s.issueKey(identity: idn)
            #expect(try await s.request("POST", "/v1/keys/\(id)/rotate", body: #"{"grace_seconds":0}"#, issuing: true).status == 200)
            #expect(try await Self.versionStates(s, id) == ["rotated", "current"])
            #expect(try await s.request("POST", "/v1/keys/\(id)/revoke", body: #"{"reason":"tour done"}"#).status == 200)
            #expect(try await Self.versionStates(s, id) == ["revoked", "revoked"])

            let (tid, tkey) = try await s.issueKey(identity: idn, environment: "test")
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"])
            #expect(try await Self.report(s, tkey, token: reporter).action == "quarantine")
            #expect(try await Self.versionStates(s, tid) == ["quarantined"])

            let (eid, _) = try await s.issueKey(identity: idn, ttl: 60)
            clock.advance(by: 61)
            #expect(try await Self.versionStates(s, eid) == ["expired"])
        }
    }

    @Test("a test key found is `valid`, not `live`; an incident no webhook announced says nobody was told, in its timeline, its result and its audit record")
    func testKeyAndUnnotified() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, tkey) = try await s.issueKey(identity: idn, environment: "test")
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"])
            let result = try await Self.report(s, tkey, token: reporter)
            #expect(result.classification == "valid")
            #expect(result.notified == false)
            let incident = try await s.request("GET", "/v1/incidents/\(try #require(result.incidentId))").decode(IncidentResponse.self)
            #expect(incident.classification == "valid")
            let unnotified = try #require(incident.timeline.first { $0.kind == "not_notified" })
            #expect(unnotified.detail.contains("alice@example.com") && unnotified.detail.contains("webhooks create"))
            #expect(!incident.timeline.contains { $0.kind == "notified" })
            let opened = try #require(try await s.auditRecords().last { $0.action == "incident.opened" })
            let details = try JSONSerialization.jsonObject(with: Data(opened.details.utf8)) as? [String: String]
            #expect(details?["notified"] == "false")
        }
    }
}
