import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `keyward scan --git` and `--staged` on real repositories built in temp folders (case 62 of docs/security-cases.md).
@Suite("keyward scan --git", .serialized)
struct ScanGitTests {
    struct Repo {
        let dir: TempDirectory
        var path: String { dir.file("repo") }

        init() async throws {
            dir = try TempDirectory("keyward-git")
            try FileManager.default.createDirectory(atPath: dir.file("repo"), withIntermediateDirectories: true)
            try await git("init", "-q", "-b", "main")
        }

        @discardableResult
        func git(_ args: String...) async throws -> ProcessResult {
            let env = ["GIT_AUTHOR_NAME": "Dev One", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev One",
                       "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
                       "HOME": dir.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            let r = try await ProcessRunner.run("/usr/bin/git", ["-C", path] + args, environment: env)
            #expect(r.status == 0, "git \(args): \(r.stderr)")
            return r
        }

        func commit(_ file: String, _ text: String, _ message: String) async throws {
            try ScanCLITests.write(path + "/" + file, text)
            try await git("add", "-A")
            try await git("commit", "-q", "-m", message)
        }

        func head() async throws -> String { try await git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func findings(_ r: ProcessResult) throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? []
    }

    @Test("a secret only in a deleted file, three commits back, packed: found once, attributed to its first commit")
    func deletedAndPacked() async throws {
        let repo = try await Repo()
        defer { repo.dir.remove() }
        let kw = ScanCLITests.keywardKey()
        try await repo.commit("README.md", "# app\n", "init")
        try await repo.commit("deploy/secrets.env", "KEYWARD_KEY=\(kw)\n", "add deploy config")
        let first = try await repo.head()
        try await repo.commit("deploy/copy.env", "KEYWARD_KEY=\(kw)\n", "copy it")
        try await repo.git("rm", "-q", "deploy/secrets.env", "deploy/copy.env")
        try await repo.git("commit", "-q", "-m", "remove secrets")
        try await repo.commit("src/app.py", "print('ok')\n", "code")
        try await repo.git("gc", "-q", "--aggressive")
        // The working tree is clean: only history holds the key.
        #expect(try await ScanCLITests.scan([repo.path], in: repo.dir).status == 0)
        let r = try await ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir)
        #expect(r.status == 1, "\(r.stderr)")
        let f = try findings(r)
        // One blob (same content in two files) → scanned once, one finding.
        #expect(f.count == 1)
        #expect(f.first?["commit"] as? String == first)
        #expect(f.first?["path"] as? String == "deploy/secrets.env")
        #expect(f.first?["author"] as? String == "Dev One")
        #expect((f.first?["date"] as? String)?.hasPrefix("2026-01-02") == true)
        #expect(f.first?["rule_id"] as? String == "keyward.live-key" || (f.first?["rule_id"] as? String)?.hasPrefix("keyward.") == true)
        #expect(!r.stdout.contains(kw))
    }

    // case 62 of docs/security-cases.md: base64-wrapped (a Kubernetes Secret's data:), only in history.
    @Test("a base64-wrapped key in a deleted Kubernetes Secret is found in history")
    func base64Wrapped() async throws {
        let repo = try await Repo()
        defer { repo.dir.remove() }
        let kw = ScanCLITests.keywardKey()
        let encoded = Data("KEYWARD_KEY=\(kw)\nREGION=eu-west-1\n".utf8).base64EncodedString()
        try await repo.commit("k8s/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  app.env: \(encoded)\n", "add secret")
        try await repo.git("rm", "-q", "k8s/secret.yaml")
        try await repo.git("commit", "-q", "-m", "remove")
        let r = try await ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir)
        #expect(r.status == 1, "\(r.stderr)")
        let f = try findings(r)
        #expect(f.count == 1)
        #expect((f.first?["rule_id"] as? String)?.hasPrefix("keyward.") == true)
        #expect(f.first?["line"] as? Int == 6)
        #expect(!r.stdout.contains(kw) && !r.stdout.contains(encoded))
    }

    @Test("unreachable history (a reset branch) is still scanned")
    func unreachable() async throws {
        let repo = try await Repo()
        defer { repo.dir.remove() }
        try await repo.commit("a.txt", "a\n", "a")
        try await repo.commit("b.yml", "token: \(ScanCLITests.githubToken())\n", "oops")
        try await repo.git("reset", "-q", "--hard", "HEAD~1")
        try await repo.git("reflog", "expire", "--expire=now", "--all")
        let r = try await ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir)
        #expect(r.status == 1)
        #expect(try findings(r).count == 1)
    }

    @Test("--staged scans what is about to be committed (pre-commit hook)")
    func staged() async throws {
        let repo = try await Repo()
        defer { repo.dir.remove() }
        try await repo.commit("a.txt", "a\n", "a")
        #expect(try await ScanCLITests.scan(["--staged", repo.path], in: repo.dir).status == 0)
        try ScanCLITests.write(repo.path + "/config.yml", "token: \(ScanCLITests.githubToken())\n")
        try await repo.git("add", "config.yml")
        let r = try await ScanCLITests.scan(["--staged", repo.path], in: repo.dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("config.yml"))
    }

    @Test("--since scans only what the commits after a given one wrote; a bad --since exits 2")
    func since() async throws {
        let repo = try await Repo()
        defer { repo.dir.remove() }
        let old = ScanCLITests.keywardKey(), new = ScanCLITests.githubToken()
        try await repo.commit("old.env", "KEYWARD_KEY=\(old)\n", "old secret")
        let scanned = try await repo.head()
        try await repo.commit("src/app.py", "print('ok')\n", "code")
        try await repo.git("checkout", "-q", "-b", "feature")
        try await repo.commit("new.env", "GITHUB_TOKEN=\(new)\n", "new secret on a branch")
        try await repo.git("checkout", "-q", "main")

        let all = try findings(try await ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir))
        #expect(Set(all.compactMap { $0["path"] as? String }) == ["old.env", "new.env"])
        // Since the commit that wrote old.env: only the feature branch's secret (every ref is looked at).
        let r = try await ScanCLITests.scan(["--git", "--since", scanned, repo.path, "--format", "json"], in: repo.dir)
        #expect(r.status == 1, "\(r.stderr)")
        let f = try findings(r)
        #expect(f.map { $0["path"] as? String } == ["new.env"])
        #expect(f.first?["rule_id"] as? String == "github.pat-classic" || (f.first?["rule_id"] as? String)?.hasPrefix("github.") == true)
        // Since the newest commit of every ref: nothing new, exit 0.
        let feature = try await repo.git("rev-parse", "feature").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let none = try await ScanCLITests.scan(["--git", "--since", feature, repo.path, "--format", "json"], in: repo.dir)
        #expect(none.status == 0, "\(none.stderr)")
        #expect(try findings(none).isEmpty)
        // A symbolic name works like its commit id.
        #expect(try findings(try await ScanCLITests.scan(["--git", "--since", "main~1", repo.path, "--format", "json"], in: repo.dir))
            .map { $0["path"] as? String } == ["new.env"])
        for (args, message) in [(["--git", "--since", "no-such-branch", repo.path], "is not a commit"),
                                (["--git", "--since=--all", repo.path], "needs a commit"),
                                (["--since", scanned, repo.path], "--since needs --git")] {
            let bad = try await ScanCLITests.scan(args, in: repo.dir)
            #expect(bad.status == 2, "\(args)")
            #expect(bad.stderr.contains(message), "\(bad.stderr)")
        }
    }
}
