import Foundation
import KeywardAPI
import KeywardCore
import KeywardTesting
import Testing

/// `POST /v1/credentials`: problems name the item by its name, never by index or value; the
/// stored prefix is a format's public tag or nothing.
@Suite("credential import (routes)")
struct CredentialImportRoutesTests {
    static func body(_ idn: String, _ items: [(name: String, secret: String, rule: String?)]) -> String {
        let list = items.map { i in
            "{\"name\":\"\(i.name)\",\"secret\":\"\(i.secret)\"" + (i.rule.map { ",\"rule_id\":\"\($0)\",\"high_entropy\":true" } ?? "") + "}"
        }
        return "{\"identity_id\":\"\(idn)\",\"origin\":\"dotenv\",\"items\":[\(list.joined(separator: ","))]}"
    }

    @Test("422 names the bad item by its name (items[PORT]…), never by index and never with its value")
    func problemNamesTheItem() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let r = try await s.request("POST", "/v1/credentials", body: Self.body(idn, [
                ("DB_PASSWORD", "Zq8vR2pL9xW4mBn7", nil), ("PORT", "8080", nil),
            ]))
            #expect(r.status == 422)
            let detail = r.json()["detail"] as? String ?? ""
            #expect(detail.contains("items[PORT].secret must be 8 to 4096 characters"), "\(detail)")
            #expect(!detail.contains("items[1]") && !detail.contains("8080"))
            let spaced = try await s.request("POST", "/v1/credentials", body: Self.body(idn, [("my key", "abc", nil)]))
            #expect(spaced.json()["detail"] as? String ?? "" == "items[\"my key\"].secret must be 8 to 4096 characters (it has 3)")
        }
    }

    @Test("the stored prefix is the format's public tag (ghp_) or nothing (an AWS secret key, a password); the AWS secret key keeps its digest")
    func storedPrefix() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            var rng = SeededRandom()
            let body = Base62.random(count: 30, using: &rng)
            let github = "ghp_" + String(decoding: body + Base62.encode(CRC32.checksum(body), width: 6), as: UTF8.self)
            let awsSecret = String(decoding: Base62.random(count: 40, using: &rng), as: UTF8.self)
            let password = "correct-horse-battery-staple"
            for secret in [github, awsSecret, password] { s.ledger.record(secret) }
            let r = try await s.request("POST", "/v1/credentials", body: Self.body(idn, [
                ("GITHUB_TOKEN", github, "github.pat-classic"), ("AWS_SECRET_ACCESS_KEY", awsSecret, "aws.secret-access-key"),
                ("DB_PASSWORD", password, nil),
            ]))
            #expect(r.status == 201, "\(r.text)")
            let creds = try r.decode(ListResponse<CredentialResponse>.self).items
            #expect(creds.map(\.prefix) == ["ghp_", "", ""])
            #expect(creds.map(\.hasDigest) == [true, true, false])
        }
    }
}
