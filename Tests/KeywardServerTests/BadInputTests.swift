import Foundation
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import NIOHTTP1
import Testing

@Suite("Bad input: clear 4xx problem+json, never a 5xx, nothing half-written")
struct BadInputTests {
    func expectProblem(_ r: TestServer.Reply, _ status: Int, _ type: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "status", sourceLocation: sourceLocation)
        #expect(r.headers["Content-Type"].first == "application/problem+json", sourceLocation: sourceLocation)
        let j = r.json()
        #expect(j["status"] as? Int == status, sourceLocation: sourceLocation)
        #expect((j["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(j["request_id"] is String, sourceLocation: sourceLocation)
        if let type { #expect(j["type"] as? String == type, sourceLocation: sourceLocation) }
    }

    @Test("malformed JSON, wrong types, unknown enum values and missing fields are 400s naming the field")
    func bodies() async throws {
        try await TestServer.with { s in
            let cases: [(String, String)] = [
                (#"{"name":"x","kind":"service","environment":"prod""#, "not valid JSON"),
                ("[]", ""),
                (#"{"name":42,"kind":"service","environment":"prod"}"#, "name"),
                (#"{"name":"x","kind":"robot","environment":"prod"}"#, "kind"),
                (#"{"kind":"service","environment":"prod"}"#, "missing field name"),
                (#"{"name":"x","kind":"service","environment":"prod","labels":{"a":1}}"#, "labels"),
                (#"{"name":"x","kind":"service","environment":"prod","allowed_scopes":"a:read"}"#, "allowed_scopes"),
                (#"{"name":null,"kind":"service","environment":"prod"}"#, "name"),
            ]
            for (body, mention) in cases {
                let r = try await s.request("POST", "/v1/identities", body: body)
                expectProblem(r, 400, "urn:keyward:error:request:bad_request")
                if !mention.isEmpty { #expect((r.json()["detail"] as? String ?? "").contains(mention)) }
            }
            let v = try await s.request("POST", "/v1/keys/verify", body: #"{"key":12}"#)
            expectProblem(v, 400)
            let env = try await s.request("POST", "/v1/keys", body: #"{"identity_id":"idn_00000000000000000000000000000000","scopes":["keyward:read"],"environment":"prod"}"#)
            expectProblem(env, 400)
            let ct = try await s.request("POST", "/v1/identities", body: "name=x", headers: [("Content-Type", "application/x-www-form-urlencoded")])
            expectProblem(ct, 400)
            let empty = try await s.request("POST", "/v1/identities", body: "")
            expectProblem(empty, 400)
            // Nothing was written: only the built-in identity exists.
            let list = try await s.request("GET", "/v1/identities")
            #expect((list.json()["items"] as? [Any])?.count == 1)
        }
    }

    @Test("validation failures are 422s; values are never echoed")
    func validation() async throws {
        try await TestServer.with { s in
            let secretish = "kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T"
            let cases = [
                #"{"name":"","kind":"service","environment":"prod"}"#,
                #"{"name":"x","kind":"service","environment":"Prod Env"}"#,
                #"{"name":"x","kind":"service","environment":"prod","allowed_scopes":["has space"]}"#,
                "{\"name\":\"x\",\"kind\":\"service\",\"environment\":\"prod\",\"purpose\":\"uses \(secretish)\"}",
                "{\"name\":\"x\",\"kind\":\"service\",\"environment\":\"prod\",\"labels\":{\"k\":\"a\\u0000b\"}}",
                "{\"name\":\"\(String(repeating: "n", count: 201))\",\"kind\":\"service\",\"environment\":\"prod\"}",
                #"{"name":"keyward","kind":"service","environment":"prod"}"#,
            ]
            for body in cases {
                let r = try await s.request("POST", "/v1/identities", body: body)
                #expect([409, 422].contains(r.status))
                #expect(!r.text.contains(secretish))
                #expect(!r.text.contains("Prod Env"))
            }
            let idn = try await s.createIdentity()
            let both = try await s.request("POST", "/v1/keys", body: "{\"identity_id\":\"\(idn)\",\"scopes\":[\"payments:read\"],\"environment\":\"live\",\"ttl_seconds\":60,\"expires_at\":\"2030-01-01T00:00:00Z\"}")
            expectProblem(both, 422, "urn:keyward:error:request:validation")
            let badID = try await s.request("POST", "/v1/keys", body: #"{"identity_id":"not-an-id","scopes":["a"],"environment":"live"}"#)
            expectProblem(badID, 422)
            let unknown = try await s.request("POST", "/v1/keys", body: #"{"identity_id":"idn_0123456789abcdef0123456789abcdef","scopes":["a"],"environment":"live"}"#)
            expectProblem(unknown, 404)
            let revoke = try await s.request("POST", "/v1/keys/key_0123456789abcdef0123456789abcdef/revoke", body: #"{"reason":""}"#)
            #expect([404, 422].contains(revoke.status))
        }
    }

    @Test("a body over 64 KiB is a 413")
    func tooLarge() async throws {
        try await TestServer.with { s in
            let big = "{\"name\":\"x\",\"kind\":\"service\",\"environment\":\"prod\",\"purpose\":\"\(String(repeating: "a", count: 70_000))\"}"
            expectProblem(try await s.request("POST", "/v1/identities", body: big), 413, "urn:keyward:error:request:payload_too_large")
            let bigVerify = "{\"key\":\"\(String(repeating: "k", count: 70_000))\"}"
            expectProblem(try await s.request("POST", "/v1/keys/verify", body: bigVerify), 413)
            #expect(try await s.request("GET", "/v1/identities").json()["items"].map { ($0 as? [Any])?.count } == 1)
        }
    }

    @Test("unknown routes are 404 and unknown methods 405 with Allow, as problem+json")
    func routes() async throws {
        try await TestServer.with { s in
            expectProblem(try await s.request("GET", "/v1/nope"), 404, "urn:keyward:error:request:not_found")
            expectProblem(try await s.anonymous("GET", "/nope"), 404)
            let m = try await s.request("DELETE", "/v1/identities")
            expectProblem(m, 405, "urn:keyward:error:request:method_not_allowed")
            #expect(m.headers["Allow"].first == "GET, POST")
            let v = try await s.request("GET", "/v1/keys/verify")
            expectProblem(v, 405)
            #expect(v.headers["Allow"].first == "POST")
            let k = try await s.request("PUT", "/v1/keys/key_0123456789abcdef0123456789abcdef")
            expectProblem(k, 405)
            #expect(k.headers["Allow"].first == "GET, PATCH")
        }
    }

    @Test("path ids that are not ids or do not exist are 404s, never echoed")
    func pathIDs() async throws {
        try await TestServer.with { s in
            for path in ["/v1/identities/nope", "/v1/identities/idn_0123456789ABCDEF0123456789ABCDEF", "/v1/identities/idn_0123456789abcdef0123456789abcdef",
                         "/v1/keys/key_0123456789abcdef0123456789abcdef", "/v1/keys/kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T",
                         "/v1/keys/\(String(repeating: "a", count: 5000))"] {
                let r = try await s.request("GET", path)
                expectProblem(r, 404)
                #expect(!r.text.contains("kw_live_"))
            }
            // Sent as raw bytes: an HTTP client library would not send this path as it is.
            let raw = try RawHTTPConnection(baseURL: s.baseURL)
            try raw.send(RawHTTPConnection.request("GET", "/v1/keys/%00%ff", token: s.adminKey, headers: ["Connection: close"]))
            let odd = try await raw.read()
            #expect(odd.status == 404 && odd.headers["content-type"] == "application/problem+json")
            for path in ["/v1/keys/nope/rotate", "/v1/keys/key_0123456789abcdef0123456789abcdef/rotate"] {
                expectProblem(try await s.request("POST", path, body: "{}"), 404)
            }
            let logs = s.logs.all.joined(separator: "\n")
            #expect(!logs.contains("kw_live_Qm7T"))
        }
    }

    @Test("bad query parameters are 400s")
    func queries() async throws {
        try await TestServer.with { s in
            for q in ["limit=0", "limit=abc", "limit=100000", "cursor=!!!", "kind=robot", "status=zombie"] {
                expectProblem(try await s.request("GET", "/v1/identities?\(q)"), 400)
            }
            for q in ["identity_id=x", "status=x", "environment=prod", "cursor=bm90LWFuLWlk"] {
                expectProblem(try await s.request("GET", "/v1/keys?\(q)"), 400)
            }
            expectProblem(try await s.request("GET", "/v1/audit?cursor=abc"), 400)
        }
    }

    @Test("keys in a header, a query and a body never reach logs or problem bodies (case 58 of docs/security-cases.md)")
    func secretInput() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let (_, key) = try await s.issueKey(identity: idn)
            _ = try await s.request("GET", "/v1/identities?owner=\(key)&cursor=\(key)")
            _ = try await s.request("GET", "/v1/keys/\(key)")
            _ = try await s.request("POST", "/v1/identities", body: "{\"name\":\"\(key)\",\"kind\":\"service\",\"environment\":\"prod\"}")
            _ = try await s.request("POST", "/v1/identities", body: "{\"\(key)\":1")
            _ = try await s.request("POST", "/v1/keys/verify", body: "{\"key\":\"\(key)\",\"scopes\":[\"\(key)\"]}")
            _ = try await s.request("GET", "/v1/identities", token: .some(key + "x"))
            _ = try await s.request("POST", "/v1/keys/\(key)/revoke", body: "{\"reason\":\"\(key)\"}")
            #expect(try await s.leakReport().isEmpty)

            // Keyward's own scanner finds nothing in the logs and the error bodies; the same text
            // with the key appended is a finding, so the scan is not blind.
            let dir = try TempDirectory("keyward-58")
            defer { dir.remove() }
            let text = s.logs.all.joined(separator: "\n") + "\n" + s.nonIssuingBodies + "\n"
            var scanned = 0
            func findings(_ body: String) async throws -> [[String: Any]] {
                scanned += 1
                let file = dir.file("out-\(scanned).log")
                try Data(body.utf8).write(to: URL(fileURLWithPath: file))
                let r = try await KeywardBinary.run(["scan", "--cache-dir", KeywardBinary.ruleCache, file, "--format", "json"],
                                              env: KeywardBinary.scanEnvironment(dir))
                let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                return doc?["findings"] as? [[String: Any]] ?? []
            }
            let clean = try await findings(text)
            #expect(clean.isEmpty, "\(clean.map { $0["rule_id"] ?? $0["rule"] ?? "?" })")
            #expect(try await findings(text + "token=" + key + "\n").count == 1)
        }
    }
}
