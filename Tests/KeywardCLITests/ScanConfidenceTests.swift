import Foundation
import KeywardTesting
import Testing

/// `keyward scan --confidence`: low-confidence findings are left out by default, come back with
/// `--confidence low` (or `confidence = "low"` in .keyward.toml), and every format carries the
/// confidence; the exit code follows what is reported.
@Suite("keyward scan --confidence", .serialized)
struct ScanConfidenceTests {
    static func scan(_ args: [String], _ dir: TempDirectory, cwd: String) async throws -> ProcessResult {
        try await ScanSuppressionTests.scan(args, cwd: cwd, env: ScanSuppressionTests.machine(dir, "m"))
    }

    static func findings(_ r: ProcessResult) -> [String: String] {
        let list = ScanSuppressionTests.json(r)["findings"] as? [[String: Any]] ?? []
        return Dictionary(list.map { ("\($0["rule_id"] ?? "")", "\($0["confidence"] ?? "")") }) { a, _ in a }
    }

    @Test("a low-confidence finding is hidden by default and shown with --confidence low; JSON, SARIF, CSV and text carry it")
    func hiddenThenShown() async throws {
        let dir = try TempDirectory("keyward-confidence")
        defer { dir.remove() }
        let repo = dir.file("repo")
        // A short password (low: it may be a word) and a GitHub token (high: prefix and checksum).
        try ScanCLITests.write(repo + "/app.env", "DB_PASSWORD=hx7!kq2m\n")
        let plain = try await Self.scan([".", "--format", "json"], dir, cwd: repo)
        #expect(plain.status == 0, "\(plain.stdout) \(plain.stderr)")
        #expect(Self.findings(plain).isEmpty)

        let low = try await Self.scan([".", "--format", "json", "--confidence", "low"], dir, cwd: repo)
        #expect(low.status == 1)
        #expect(Self.findings(low) == ["generic.password-unquoted": "low"])
        #expect(!low.stdout.contains("hx7!kq2m"))

        try ScanCLITests.write(repo + "/deploy.env", "GITHUB_TOKEN=\(ScanCLITests.githubToken())\n")
        let both = try await Self.scan([".", "--format", "json"], dir, cwd: repo)
        #expect(both.status == 1)
        #expect(Self.findings(both) == ["github.pat-classic": "high"])
        #expect(try await Self.scan([".", "--confidence", "high"], dir, cwd: repo).status == 1)

        let sarif = try await Self.scan([".", "--format", "sarif", "--confidence", "low"], dir, cwd: repo)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let results = ((doc["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
        let byRule = Dictionary(results.map { ("\($0["ruleId"] ?? "")", $0) }) { a, _ in a }
        #expect((byRule["generic.password-unquoted"]?["properties"] as? [String: Any])?["confidence"] as? String == "low")
        #expect(byRule["generic.password-unquoted"]?["level"] as? String == "note")
        #expect(byRule["github.pat-classic"]?["level"] as? String == "error")

        let csv = try await Self.scan([".", "--format", "csv", "--confidence", "low"], dir, cwd: repo)
        #expect(csv.stdout.hasPrefix("rule_id,provider,path,line,column_start,column_end,commit,author,date,preview,fingerprint,confidence\n"))
        #expect(csv.stdout.contains(",low\n") && csv.stdout.contains(",high\n"))
        let text = try await Self.scan([".", "--confidence", "low"], dir, cwd: repo)
        #expect(text.stdout.contains("[low]") && text.stdout.contains("[high]"))
    }

    @Test("confidence = \"low\" in .keyward.toml reports everything; --confidence wins; a bad value is exit 2")
    func configAndErrors() async throws {
        let dir = try TempDirectory("keyward-confidence")
        defer { dir.remove() }
        let repo = dir.file("repo")
        try ScanCLITests.write(repo + "/app.env", "DB_PASSWORD=hx7!kq2m\n")
        try ScanCLITests.write(repo + "/.keyward.toml", "confidence = \"low\"\n")
        let fromConfig = try await Self.scan([".", "--format", "json"], dir, cwd: repo)
        #expect(fromConfig.status == 1)
        #expect(Self.findings(fromConfig) == ["generic.password-unquoted": "low"])
        #expect(try await Self.scan([".", "--confidence", "medium"], dir, cwd: repo).status == 0)
        let bad = try await Self.scan([".", "--confidence", "certain"], dir, cwd: repo)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--confidence must be high, medium or low"))
        try ScanCLITests.write(repo + "/.keyward.toml", "confidence = \"sure\"\n")
        let badConfig = try await Self.scan(["."], dir, cwd: repo)
        #expect(badConfig.status == 2)
        #expect(badConfig.stderr.contains(".keyward.toml:1"))
    }
}
