import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// Baselines that travel, `keyward:allow` comments and `.keyward.toml`, through the binary.
@Suite("keyward scan suppressions", .serialized)
struct ScanSuppressionTests {
    /// A machine of its own: a fresh home, config (fingerprint key) and cache folder.
    static func machine(_ dir: TempDirectory, _ name: String) -> [String: String] {
        ["HOME": dir.file(name), "XDG_CONFIG_HOME": dir.file(name + "/config"), "XDG_CACHE_HOME": dir.file(name + "/cache")]
    }

    static func scan(_ args: [String], cwd: String, env: [String: String], stdin: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(KeywardBinary.path(), ["scan", "--cache-dir", ScanCLITests.cache] + args,
                                    environment: ProcessInfo.processInfo.environment.merging(env) { $1 }, stdin: stdin, currentDirectory: cwd)
    }

    static func json(_ r: ProcessResult) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    @Test("a baseline written on one machine suppresses the same findings on another (no shared key, other checkout); a changed secret comes back; the file holds no secret and no plain digest")
    func baselineTravels() async throws {
        let dir = try TempDirectory("keyward-baseline")
        defer { dir.remove() }
        let password = "Zq8vR2pL9xW4mBkd", gh = ScanCLITests.githubToken()
        for checkout in ["alice/repo", "ci/work/repo"] {
            try ScanCLITests.write(dir.file(checkout + "/config/app.env"), "DB_PASSWORD=\(password)\nGITHUB_TOKEN=\(gh)\n")
        }
        let written = try await Self.scan([".", "--write-baseline", ".keyward-baseline.json"], cwd: dir.file("alice/repo"), env: Self.machine(dir, "alice"))
        #expect(written.status == 0, "\(written.stderr)")
        let baseline = try String(contentsOfFile: dir.file("alice/repo/.keyward-baseline.json"), encoding: .utf8)
        #expect(baseline.contains("scrypt:") && baseline.contains("hmac-sha256:") && baseline.contains("\"salt\""))
        for plain in [password, gh, SecretDigest(hashing: password.utf8).hex, SecretDigest(hashing: gh.utf8).hex] {
            #expect(!baseline.contains(plain))
        }
        // The teammate's (or CI's) machine: another key, another folder, the committed baseline.
        try Data(baseline.utf8).write(to: URL(fileURLWithPath: dir.file("ci/work/repo/.keyward-baseline.json")))
        let ci = try await Self.scan([".", "--baseline", ".keyward-baseline.json", "--format", "json"], cwd: dir.file("ci/work/repo"), env: Self.machine(dir, "ci"))
        #expect(ci.status == 0, "\(ci.stdout) \(ci.stderr)")
        #expect((Self.json(ci)["suppressed"] as? [[String: Any]])?.count == 2)
        #expect(ci.stderr.contains("2 by the baseline"))
        // A changed password on the same line is reported; so is the same token in another file.
        try ScanCLITests.write(dir.file("ci/work/repo/config/app.env"), "DB_PASSWORD=\(password)X\nGITHUB_TOKEN=\(gh)\n")
        try ScanCLITests.write(dir.file("ci/work/repo/deploy.env"), "GITHUB_TOKEN=\(gh)\n")
        let changed = try await Self.scan([".", "--baseline", ".keyward-baseline.json", "--format", "json"], cwd: dir.file("ci/work/repo"), env: Self.machine(dir, "ci"))
        #expect(changed.status == 1)
        let reported = (Self.json(changed)["findings"] as? [[String: Any]] ?? []).map { "\($0["path"] ?? ""):\($0["rule_id"] ?? "")" }.sorted()
        #expect(reported == ["config/app.env:generic.password-unquoted", "deploy.env:github.pat-classic"], "\(reported)")
    }

    @Test("rewriting a baseline keeps its salt; a version 1 baseline still works on its machine, with a warning")
    func baselineVersions() async throws {
        let dir = try TempDirectory("keyward-baseline")
        defer { dir.remove() }
        let env = Self.machine(dir, "m")
        try ScanCLITests.write(dir.file("repo/a.env"), "GITHUB_TOKEN=\(ScanCLITests.githubToken())\n")
        let repo = dir.file("repo")
        #expect(try await Self.scan([".", "--write-baseline", "b.json"], cwd: repo, env: env).status == 0)
        let first = try String(contentsOfFile: dir.file("repo/b.json"), encoding: .utf8)
        #expect(try await Self.scan([".", "--baseline", "b.json", "--write-baseline", "b.json"], cwd: repo, env: env).status == 0)
        #expect(try String(contentsOfFile: dir.file("repo/b.json"), encoding: .utf8) == first)
        let found = Self.json(try await Self.scan(["a.env", "--format", "json"], cwd: repo, env: env))
        let f = try #require((found["findings"] as? [[String: Any]])?.first)
        let v1 = #"{"version": 1, "entries": [{"rule_id": "\#(f["rule_id"]!)", "fingerprint": "\#(f["fingerprint"]!)", "path": "a.env"}]}"#
        try ScanCLITests.write(dir.file("repo/v1.json"), v1)
        let old = try await Self.scan(["a.env", "--baseline", "v1.json"], cwd: repo, env: env)
        #expect(old.status == 0, "\(old.stderr)")
        #expect(old.stderr.contains("version 1 baseline"))
    }

    @Test("keyward:allow <reason> suppresses (listed in JSON and SARIF with the reason); a bare marker does not, and warns")
    func allowComments() async throws {
        let dir = try TempDirectory("keyward-allow")
        defer { dir.remove() }
        let env = Self.machine(dir, "m")
        try ScanCLITests.write(dir.file("repo/a.py"), """
            TOKEN = "\(ScanCLITests.githubToken())"  # keyward:allow revoked in 2024, kept as a fixture
            OTHER = "\(ScanCLITests.githubToken())"  # keyward:allow
            /* keyward:allow sample */ KEY = "\(ScanCLITests.keywardKey())"
            """)
        let r = try await Self.scan([".", "--format", "json"], cwd: dir.file("repo"), env: env)
        #expect(r.status == 1)
        let doc = Self.json(r)
        #expect((doc["findings"] as? [[String: Any]])?.map { $0["line"] as? Int } == [2])
        let reasons = (doc["suppressed"] as? [[String: Any]] ?? []).compactMap { ($0["suppression"] as? [String: Any])?["justification"] as? String }
        #expect(reasons == ["revoked in 2024, kept as a fixture", "sample"], "\(reasons)")
        #expect(r.stderr.contains("a.py:2: keyward:allow needs a reason"))
        #expect(r.stderr.contains("2 by allow comments"))
        let sarif = try await Self.scan([".", "--format", "sarif"], cwd: dir.file("repo"), env: env)
        #expect(sarif.stdout.contains("\"inSource\"") && sarif.stdout.contains("revoked in 2024"))
    }

    @Test(".keyward.toml allows by path, rule and line and adds custom rules; a bad config is exit 2 naming file:line")
    func repositoryConfig() async throws {
        let dir = try TempDirectory("keyward-config")
        defer { dir.remove() }
        let env = Self.machine(dir, "m")
        let repo = dir.file("repo")
        try ScanCLITests.write(repo + "/vendor/lib/x.env", "GITHUB_TOKEN=\(ScanCLITests.githubToken())\n")
        try ScanCLITests.write(repo + "/src/fixture.env", "FAKE_TOKEN=Q9vR2pL8xW4mBkdZqT7u\n")
        try ScanCLITests.write(repo + "/src/deploy.sh", "export ACME=acme_dk_" + String(repeating: "k3", count: 16) + "\n")
        try ScanCLITests.write(repo + "/.keyward.toml", #"""
            # Allow-list and rules for this repository.
            [[allow]]
            paths = ["vendor/**"]
            reason = "vendored, reviewed"

            [[allow]]
            rules = ["generic.*"]
            lines = ['^FAKE_TOKEN=']
            reason = "unit-test fixture"

            [[rules]]
            id = "acme.deploy-key"
            provider = "acme"
            pattern = '\b(acme_dk_[a-z0-9]{32})\b'
            secret_group = 1
            keywords = ["acme_dk_"]
            high_entropy = true
            examples = ["ACME=acme_dk_9f8e7d6c5b4a39281706f5e4d3c2b1a0"]
            negative_examples = ["acme_dk_short"]
            """#)
        let r = try await Self.scan([repo, "--format", "json"], cwd: dir.path, env: env)
        #expect(r.status == 1, "\(r.stderr)")
        let doc = Self.json(r)
        #expect((doc["findings"] as? [[String: Any]])?.map { $0["rule_id"] as? String } == ["acme.deploy-key"])
        // vendor/, the fixture line, and the custom rule's own example in .keyward.toml.
        #expect((doc["suppressed"] as? [[String: Any]])?.count == 3)
        #expect(r.stderr.contains("3 by the config"))

        // Bad configs: each names the file and line, exit 2, and nothing is scanned.
        let bad: [(String, String)] = [
            ("[[allow]]\npaths = [\"a/**\"]\n", ":1: an [[allow]] entry needs a reason"),
            ("[[allow]]\nreason = \"x\"\npath = [\"a\"]\n", ":3: unknown key path"),
            ("\n[[rules]]\nid = \"acme.x\"\nprovider = \"acme\"\npattern = 'acme_[0-9]{8}'\nexamples = [\"acme_notdigits\"]\n", ":2: rule acme.x: example 1 is not found"),
            ("[[rules]]\nid = \"acme.y\"\nprovider = \"acme\"\npattern = '(?<=x)acme'\nexamples = [\"xacme\"]\n", ":1: rule acme.y: the pattern is not supported"),
            ("[[allow]]\nreason = \"x\nrules = []\n", ":2: a \"…\" string must end on its line"),
        ]
        for (text, message) in bad {
            try ScanCLITests.write(dir.file("bad.toml"), text)
            let b = try await Self.scan([repo, "--config", dir.file("bad.toml")], cwd: dir.path, env: env)
            #expect(b.status == 2, "\(text)")
            #expect(b.stderr.contains(dir.file("bad.toml") + message), "\(b.stderr)")
        }
    }

    @Test("no progress line when standard error is not a terminal; the progress line's content")
    func progress() async throws {
        let dir = try TempDirectory("keyward-progress")
        defer { dir.remove() }
        for i in 0..<200 { try ScanCLITests.write(dir.file("repo/f\(i).txt"), String(repeating: "nothing here\n", count: 500)) }
        let r = try await Self.scan(["."], cwd: dir.file("repo"), env: Self.machine(dir, "m"))
        #expect(r.status == 0)
        #expect(!r.stderr.contains("scanning:") && !r.stderr.contains("\r"))
    }
}
