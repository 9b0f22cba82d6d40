import Foundation
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import NIOHTTP1
import Testing

@Suite("Exposure intake")
struct ExposureRoutesTests {
    func item(_ i: Int, sha: String? = nil) -> [String: Any] {
        var o: [String: Any] = ["rule_id": "github.pat-classic", "provider": "github", "path": "src/f\(i).py", "line": i + 1]
        if let sha { o["sha256"] = sha }
        return o
    }

    func body(_ items: [[String: Any]], source: String = "scanner") -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: ["source": source, "items": items]), as: UTF8.self)
    }

    @Test("202 with counts; the same exposure twice is recorded once; audited without digests")
    func intake() async throws {
        try await TestServer.with { s in
            let (_, reporter) = try await s.issueKey(identity: "idn_00000000000000000000000000000000", scopes: ["keyward:report"])
            let sha = SecretDigest(hashing: Array("kw_live_whatever".utf8)).hex
            let r = try await s.request("POST", "/v1/exposures", body: body([item(1, sha: sha), item(2)]), token: .some(reporter))
            #expect(r.status == 202)
            #expect(r.json()["accepted"] as? Int == 2)
            let again = try await s.request("POST", "/v1/exposures", body: body([item(1, sha: sha.uppercased()), item(3)]), token: .some(reporter))
            #expect(again.json()["accepted"] as? Int == 1)
            #expect(again.json()["duplicates"] as? Int == 1)
            #expect(try await s.runtime.store.exposureCount() == 3)
            let audit = try await s.request("GET", "/v1/audit?limit=1000")
            #expect(audit.text.contains("exposure.reported"))
            #expect(!audit.text.contains(sha))
        }
    }

    @Test("needs keyward:report (or admin); bad items are 422; over 1,000 items or 1 MiB is 413")
    func limits() async throws {
        try await TestServer.with { s in
            let (_, reader) = try await s.issueKey(identity: "idn_00000000000000000000000000000000", scopes: ["keyward:read"])
            #expect(try await s.request("POST", "/v1/exposures", body: body([item(1)]), token: .some(reader)).status == 403)
            #expect(try await s.request("POST", "/v1/exposures", body: body([item(1)]), token: .none).status == 401)
            for bad: [String: Any] in [["rule_id": "X Y", "path": "a"], ["rule_id": "a.b", "sha256": "zz"], ["rule_id": "a.b"],
                                       ["rule_id": "a.b", "fingerprint": "kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T"],
                                       ["rule_id": "a.b", "path": "x", "line": 0], ["rule_id": "a.b", "path": "x", "commit": "not-hex"]] {
                let r = try await s.request("POST", "/v1/exposures", body: body([bad]))
                #expect(r.status == 422, "\(bad)")
                #expect(!r.text.contains("kw_live_Qm7T"))
            }
            #expect(try await s.request("POST", "/v1/exposures", body: body([item(1)], source: "twitter")).status == 400)
            let many = (0..<1_001).map { item($0) }
            #expect(try await s.request("POST", "/v1/exposures", body: body(many)).status == 413)
            let huge = [["rule_id": "a.b", "path": String(repeating: "p", count: 4000)]] + Array(repeating: ["rule_id": "a.b", "path": String(repeating: "p", count: 4000)], count: 300)
            #expect(try await s.request("POST", "/v1/exposures", body: body(huge)).status == 413)
            #expect(try await s.runtime.store.exposureCount() == 0)
        }
    }
}
