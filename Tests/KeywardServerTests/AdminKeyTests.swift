import Foundation
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import NIOHTTP1
import Testing

@Suite("Management keys")
struct AdminKeyTests {
    @Test("the last active admin key cannot be revoked; with a second one it can, and then stops working at once")
    func lastAdmin() async throws {
        try await TestServer.with { s in
            let keys = try await s.request("GET", "/v1/keys?identity_id=idn_00000000000000000000000000000000")
            let adminID = try #require((keys.json()["items"] as? [[String: Any]])?.first?["id"] as? String)
            let refused = try await s.request("POST", "/v1/keys/\(adminID)/revoke", body: #"{"reason":"oops"}"#)
            #expect(refused.status == 409)
            let (_, second) = try await s.issueKey(identity: "idn_00000000000000000000000000000000", scopes: ["keyward:admin"], ttl: 3600)
            let ok = try await s.request("POST", "/v1/keys/\(adminID)/revoke", body: #"{"reason":"rotated out"}"#, token: .some(second))
            #expect(ok.status == 200)
            #expect(try await s.request("GET", "/v1/identities").status == 401)
            #expect(try await s.request("GET", "/v1/identities", token: .some(second)).status == 200)
        }
    }
}
