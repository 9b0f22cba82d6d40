import Foundation
import KeywardAPI
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import NIOHTTP1
import Testing

/// Issue 10: what a security probe of the running server found (items 1, 4, 5 and 10), each
/// over real HTTP on a real SQLite store. Items 2, 3, 6–9 have their own files.
@Suite("probe findings: lockout, credentials in free text, digest-only reports, contract gaps")
struct ProbeFindingsTests {
    static let builtin = "idn_00000000000000000000000000000000"
    static func sha(_ s: String) -> String { SecretDigest(hashing: s.utf8).hex }
    static func proof(_ s: String) -> String { PossessionProof.proof(of: Array(s.utf8)).hex }
    static func body(_ o: Any) -> String { String(decoding: try! JSONSerialization.data(withJSONObject: o), as: UTF8.self) }

    static func bootstrapKeyID(_ s: TestServer) async throws -> String {
        let keys = try await s.request("GET", "/v1/keys?identity_id=\(builtin)")
        return try #require((keys.json()["items"] as? [[String: Any]])?.first?["id"] as? String)
    }

    // MARK: item 1

    @Test("item 1: revoking the bootstrap key with an admin key derived from it is refused, since the cascade would leave no admin")
    func derivedAdminCannotRevokeItsParent() async throws {
        try await TestServer.with { s in
            let bootstrap = try await Self.bootstrapKeyID(s)
            let (_, derived) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:admin"], ttl: 3600, extra: ["derived_from": bootstrap])
            let refused = try await s.request("POST", "/v1/keys/\(bootstrap)/revoke", body: #"{"reason":"probe"}"#, token: .some(derived))
            #expect(refused.status == 409)
            #expect(refused.text.contains("derived"))
            // Both still work: nothing was revoked.
            #expect(try await s.request("GET", "/v1/identities").status == 200)
            #expect(try await s.request("GET", "/v1/identities", token: .some(derived)).status == 200)
            // An independent admin key makes the revocation possible; the derived key dies with its parent.
            let (_, independent) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:admin"], ttl: 3600)
            #expect(try await s.request("POST", "/v1/keys/\(bootstrap)/revoke", body: #"{"reason":"probe"}"#, token: .some(derived)).status == 200)
            #expect(try await s.request("GET", "/v1/identities", token: .some(derived)).status == 401)
            #expect(try await s.request("GET", "/v1/identities", token: .some(independent)).status == 200)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    // MARK: item 5 (and item 1's second path: a digest report of the admin key)

    @Test("item 5: a report key that knows only a digest opens an incident, revokes nothing and learns nothing")
    func digestOnlyReportContainsNothing() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (readID, reader) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:read"], ttl: 3600)
            let (_, live) = try await s.issueKey(identity: idn)
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"], ttl: 3600)
            var answers: [String] = []
            for (i, target) in [s.adminKey, reader, live].enumerated() {
                let r = try await s.request("POST", "/v1/exposures", body: Self.body(["source": "scanner", "items": [
                    ["rule_id": "keyward.api-key", "sha256": Self.sha(target), "path": "dump-\(i).sql"],
                ]]), token: .some(reporter))
                #expect(r.status == 202)
                answers.append(r.text.replacingOccurrences(of: #""exp_[0-9a-f]+""#, with: "X", options: .regularExpression))
            }
            // An unknown digest gets the same answer: no oracle for "is this a live key?".
            let unknown = try await s.request("POST", "/v1/exposures", body: Self.body(["source": "scanner", "items": [
                ["rule_id": "keyward.api-key", "sha256": String(repeating: "cd", count: 32), "path": "dump-9.sql"],
            ]]), token: .some(reporter))
            answers.append(unknown.text.replacingOccurrences(of: #""exp_[0-9a-f]+""#, with: "X", options: .regularExpression))
            #expect(Set(answers).count == 1, "\(answers)")
            #expect(answers[0].contains(#""classification":"withheld""#))
            // Nothing was contained: every key still verifies, management still works.
            for k in [s.adminKey, reader, live] { #expect(try await s.verify(k)["valid"] as? Bool == true) }
            #expect(try await s.request("GET", "/v1/keys/\(readID)").json()["status"] as? String == "active")
            // …but the owners were told: one incident per key, action notify, with the reason.
            let incidents = try await s.request("GET", "/v1/incidents").decode(ListResponse<IncidentResponse>.self)
            #expect(incidents.items.count == 3)
            #expect(incidents.items.allSatisfy { $0.action == "notify" })
            let one = try await s.request("GET", "/v1/incidents/\(incidents.items[0].id)").text
            #expect(one.contains("containment_withheld"))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("item 5: with a possession proof a report key contains; a wrong proof does not; an admin's digest does")
    func possessionProofContains() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, a) = try await s.issueKey(identity: idn)
            let (_, b) = try await s.issueKey(identity: idn)
            let (_, c) = try await s.issueKey(identity: idn)
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"], ttl: 3600)
            func report(_ item: [String: Any], token: String?) async throws -> ExposureResult {
                let r = try await s.request("POST", "/v1/exposures", body: Self.body(["source": "scanner", "items": [item]]), token: .some(token))
                #expect(r.status == 202)
                return try #require(try r.decode(ExposureReceipt.self).results?.first)
            }
            let good = try await report(["rule_id": "keyward.api-key", "sha256": Self.sha(a), "possession_proof": Self.proof(a), "path": "a"], token: reporter)
            #expect(good.classification == "valid" && good.action == "revoke")
            #expect(try await s.verify(a)["reason"] as? String == "revoked")
            // A proof of another secret (or the digest itself) proves nothing.
            let wrong = try await report(["rule_id": "keyward.api-key", "sha256": Self.sha(b), "possession_proof": Self.sha(b), "path": "b"], token: reporter)
            #expect(wrong.classification == "withheld" && wrong.action == nil)
            #expect(try await s.verify(b)["valid"] as? Bool == true)
            // An admin may revoke any key anyway: its digest report contains.
            let admin = try await report(["rule_id": "keyward.api-key", "sha256": Self.sha(c), "path": "c"], token: nil)
            #expect(admin.action == "revoke")
            #expect(try await s.verify(c)["reason"] as? String == "revoked")
        }
    }

    @Test("item 5: a reporter's quota: 429 with Retry-After once it is used up, nothing recorded, other reporters unaffected")
    func reporterQuota() async throws {
        try await TestServer.with(configure: {
            // A slow refill (one item every 50 s), so a loaded machine's pause between the two requests refills nothing that matters.
            $0.reporterQuota = .init(itemsPerHour: 72, itemBurst: 20, bytesPerHour: 64 << 20, byteBurst: 8 << 20)
        }) { s in
            let (_, reporter) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"], ttl: 3600)
            let (_, other) = try await s.issueKey(identity: Self.builtin, scopes: ["keyward:report"], ttl: 3600)
            func batch(_ tag: String, _ n: Int) -> String {
                Self.body(["source": "scanner", "items": (0..<n).map { ["rule_id": "generic.password", "path": "\(tag)/f\($0).env"] }])
            }
            #expect(try await s.request("POST", "/v1/exposures", body: batch("a", 15), token: .some(reporter)).status == 202)
            let over = try await s.request("POST", "/v1/exposures", body: batch("b", 15), token: .some(reporter))
            #expect(over.status == 429)
            #expect(Int(over.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            #expect(over.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(try await s.runtime.store.exposureCount() == 15)
            #expect(try await s.request("POST", "/v1/exposures", body: batch("c", 15), token: .some(other)).status == 202)
        }
    }

    @Test("item 5: control characters and NUL in exposure paths and URLs are refused")
    func controlCharactersRefused() async throws {
        try await TestServer.with { s in
            for item: [String: Any] in [["rule_id": "a.b", "path": "a\u{0}b"], ["rule_id": "a.b", "url": "https://x.example/\u{1B}[2J"],
                                        ["rule_id": "a.b", "path": "e\u{202E}gpj.exe"], ["rule_id": "a.b", "url": "https://x.example/\u{85}"]] {
                let r = try await s.request("POST", "/v1/exposures", body: Self.body(["source": "paste", "items": [item]]))
                #expect(r.status == 422)
                #expect(!r.text.contains("\u{1B}") && !r.text.contains("\\u001b"))
            }
            #expect(try await s.runtime.store.exposureCount() == 0)
        }
    }

    // MARK: item 4

    @Test("item 4: every free-text field refuses a credential, by any scanner rule; the 422 and the audit never hold it")
    func credentialsInFreeText() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            // Synthetic values in providers' published formats, assembled at run time.
            let github = "glpat-" + "Xq7Lm2Vb9Tz4Kc8Np3Rw"
            let aws = "AKIA" + "QX7ZB2KD4MN6PR8T"
            s.ledger.record(github)
            s.ledger.record(aws)
            let cases: [(String, String, String)] = [
                ("POST", "/v1/keys", Self.body(["identity_id": idn, "scopes": [key], "environment": "live"])),
                ("POST", "/v1/keys", Self.body(["identity_id": idn, "scopes": ["payments:read", github], "environment": "live"])),
                ("POST", "/v1/identities", Self.body(["name": "svc", "kind": "service", "environment": "production", "allowed_scopes": [aws]])),
                ("POST", "/v1/identities", Self.body(["name": "svc", "kind": "service", "environment": "production", "allowed_scopes": [],
                                                      "labels": ["token": github]])),
                ("POST", "/v1/identities", Self.body(["name": "svc", "kind": "service", "environment": "production", "allowed_scopes": [],
                                                      "labels": [aws: "x"]])),
                ("POST", "/v1/identities", Self.body(["name": "svc", "kind": "service", "environment": "production", "allowed_scopes": [],
                                                      "purpose": "uses \(github) for CI"])),
                ("POST", "/v1/identities", Self.body(["name": github, "kind": "service", "environment": "production", "allowed_scopes": []])),
                ("PATCH", "/v1/identities/\(idn)", Self.body(["allowed_scopes": ["payments:read", aws]])),
            ]
            for (method, path, body) in cases {
                let r = try await s.request(method, path, body: body)
                #expect((400..<500).contains(r.status), "\(method) \(path): \(r.status)")
                #expect(r.text.contains("credential") || r.text.contains("scope"), "\(r.text)")
            }
            #expect(try await s.leakReport().isEmpty, "a refused credential was echoed or stored")
        }
    }

    @Test("item 4: a credential in verify's source fields is never stored; verify still answers")
    func credentialInVerifySource() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (id, key) = try await s.issueKey(identity: idn)
            let (_, other) = try await s.issueKey(identity: idn)
            let r = try await s.request("POST", "/v1/keys/verify", body: Self.body([
                "key": key, "source": ["ip": "10.0.0.1", "user_agent": "client/1.0 \(other)", "client_cert_subject": "CN=svc"],
            ]))
            #expect(r.status == 200 && r.json()["valid"] as? Bool == true)
            #expect(!r.text.contains(other))
            // Written by the flush (which waits for a timer flush already under way), not waited for.
            await s.flushUsage()
            let radius = try await s.request("GET", "/v1/keys/\(id)/blast-radius").text
            #expect(radius.contains("10.0.0.1"))
            #expect(radius.contains("[redacted: "))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    // MARK: item 10

    @Test("item 10: webhook URLs that name no single reachable machine are refused")
    func webhookHosts() async throws {
        try await TestServer.with { s in
            for url in ["http://0/h", "http://0.0.0.0/h", "http://00/h", "http://0x7f.1/h", "http://127.1/h", "http://2130706433/h", "http://[::]/h",
                        "http://169.254.169.254/latest", "http://[::ffff:169.254.169.254]/", "http://224.0.0.1/h", "http://[fe80::1]/h",
                        "http://example.123/h", "http://a b/h", "ftp://example.com/h"] {
                let r = try await s.request("POST", "/v1/webhooks", body: Self.body(["url": url, "events": ["incident.opened"]]))
                #expect(r.status == 422, "\(url) → \(r.status)")
            }
            for url in ["http://127.0.0.1:9/hook", "https://hooks.example.com/x", "http://[::1]:9/h", "http://10.1.2.3/h"] {
                let r = try await s.request("POST", "/v1/webhooks", body: Self.body(["url": url, "events": ["incident.opened"]]), issuing: true)
                #expect(r.status == 201, "\(url) → \(r.status) \(r.text)")
            }
        }
    }

    @Test("item 10: lengths count characters as the schema does; bidi controls, reserved names and KEYWARD: scopes are refused")
    func contractGaps() async throws {
        try await TestServer.with { s in
            func identity(_ o: [String: Any]) async throws -> TestServer.Reply {
                var obj: [String: Any] = ["name": "svc", "kind": "service", "environment": "production", "allowed_scopes": []]
                obj.merge(o) { $1 }
                return try await s.request("POST", "/v1/identities", body: Self.body(obj))
            }
            // 200 characters of two bytes each: within maxLength 200.
            #expect(try await identity(["name": String(repeating: "é", count: 200)]).status == 201)
            #expect(try await identity(["name": String(repeating: "é", count: 201)]).status == 422)
            for name in ["pay\u{202E}gpj", "a\u{2066}b", "x\u{200F}"] { #expect(try await identity(["name": name]).status == 422) }
            for name in ["Keyward", "KEYWARD", "keyWard"] { #expect(try await identity(["name": name]).status == 409) }
            let upper = try await identity(["allowed_scopes": ["KEYWARD:admin"]])
            #expect(upper.status == 422 && upper.text.contains("scopes.reserved_namespace"))
            // Only application/json (with parameters) is JSON.
            for type in ["application/jsonx", "application/json-patch", "text/json"] {
                let r = try await s.request("POST", "/v1/identities", body: #"{"name":"t","kind":"service","environment":"production","allowed_scopes":[]}"#,
                                            headers: [("Content-Type", type)])
                #expect(r.status == 400 || r.status == 415, "\(type) → \(r.status)")
            }
            let ok = try await s.request("POST", "/v1/identities", body: #"{"name":"t","kind":"service","environment":"production","allowed_scopes":[]}"#,
                                         headers: [("Content-Type", "Application/JSON; charset=utf-8")])
            #expect(ok.status == 201)
        }
    }

    @Test("item 10: plaintext leak intelligence over plain HTTP is refused even from loopback unless configured")
    func plaintextFromLoopback() async throws {
        let item = Self.body(["source": "paste", "items": [["rule_id": "generic.password", "secret": "correct-horse-battery", "url": "https://paste.example/1"]]])
        try await TestServer.with { s in
            let r = try await s.request("POST", "/v1/exposures", body: item)
            #expect(r.status == 422 && r.text.contains("TLS"))
            #expect(try await s.runtime.store.exposureCount() == 0)
        }
        try await TestServer.with(configure: { $0.acceptPlaintextFromLoopback = true }) { s in
            let r = try await s.request("POST", "/v1/exposures", body: item)
            #expect(r.status == 202)
        }
    }
}
