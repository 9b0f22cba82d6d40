import Foundation
import KeywardTesting
import Testing

/// `keyward posture` against a real server: the table, JSON and SARIF, and bad flags.
@Suite("keyward posture", .serialized)
struct PostureCLITests {
    @Test("the table names each risk and the pipeline's static key with its owner; --format sarif is SARIF 2.1.0 with a rule per risk; a bad format is exit 2")
    func posture() async throws {
        let dir = try TempDirectory("keyward-posture-cli")
        defer { dir.remove() }
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        defer { p.stop() }
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(key)]
        func kw(_ args: String...) async throws -> ProcessResult { try await KeywardBinary.run(args, env: env) }
        let ci = try await kw("identities", "create", "-q", "--name", "deploy-ci", "--kind", "pipeline", "--environment", "production",
                              "--technical-owner", "bob@example.com", "--purpose", "deploys", "--allowed-scope", "deploy:write")
        #expect(ci.status == 0, "\(ci.stderr)")
        let issued = try await kw("keys", "create", "-q", "--identity", ci.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--scope", "deploy:write", "--ttl", "30d")
        #expect(issued.status == 0, "\(issued.stderr)")
        let parts = issued.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let (keyID, secret) = (parts[0], parts[1])

        let table = try await kw("posture")
        #expect(table.status == 0, "\(table.stderr)")
        for id in 1...10 { #expect(table.stdout.contains("NHI\(id) ")) }
        #expect(table.stdout.contains("a pipeline holds a static API key") && table.stdout.contains(keyID) && table.stdout.contains("bob@example.com"))
        #expect(!table.stdout.contains(secret))
        #expect(!(try await kw("posture", "--severity", "high")).stdout.contains("a pipeline holds a static API key")) // medium

        let sarif = try await kw("posture", "--format", "sarif")
        #expect(sarif.status == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        #expect(doc["version"] as? String == "2.1.0")
        let run = try #require((doc["runs"] as? [[String: Any]])?.first)
        let rules = ((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]]
        #expect(rules?.count == 10)
        let results = run["results"] as? [[String: Any]] ?? []
        #expect(results.contains { $0["ruleId"] as? String == "NHI6" && $0["level"] as? String == "warning" })

        let json = try await kw("posture", "--format", "json")
        #expect(json.status == 0 && json.stdout.contains("\"overall_score\""))
        let html = try await kw("posture", "--format", "html")
        #expect(html.status == 0 && html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains(keyID) && !html.stdout.contains("<script"))
        let trend = try await kw("posture", "--trend", "7")
        #expect(trend.status == 0 && trend.stdout.hasPrefix("DAY") && trend.stdout.split(separator: "\n").count == 2) // today, computed above
        #expect(try await kw("posture", "--trend", "0").status == 2)
        let idn = ci.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await kw("review", "list", "--horizon-days", "365").stdout.contains(idn)) // due in 90 days
        let confirmed = try await kw("review", "confirm", idn, "--note", "still deploys")
        #expect(confirmed.status == 0 && confirmed.stdout.contains("next review due"), "\(confirmed.stderr)")
        #expect(try await kw("review", "list", "--horizon-days", "-1").status == 2)
        #expect(try await kw("posture", "--format", "pdf").status == 2)
        #expect(try await kw("posture", "--severity", "urgent").status == 2)
    }
}
