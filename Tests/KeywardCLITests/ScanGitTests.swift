import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `keyward scan --git` and `--staged` on real repositories built in temp folders (SECURITY-CASES 62).
@Suite("keyward scan --git", .serialized)
struct ScanGitTests {
    struct Repo {
        let dir: TempDirectory
        var path: String { dir.file("repo") }

        init() throws {
            dir = try TempDirectory("keyward-git")
            try FileManager.default.createDirectory(atPath: dir.file("repo"), withIntermediateDirectories: true)
            try git("init", "-q", "-b", "main")
        }

        @discardableResult
        func git(_ args: String...) throws -> ProcessResult {
            let env = ["GIT_AUTHOR_NAME": "Dev One", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev One",
                       "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
                       "HOME": dir.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            let r = try ProcessRunner.run("/usr/bin/git", ["-C", path] + args, environment: env)
            #expect(r.status == 0, "git \(args): \(r.stderr)")
            return r
        }

        func commit(_ file: String, _ text: String, _ message: String) throws {
            try ScanCLITests.write(path + "/" + file, text)
            try git("add", "-A")
            try git("commit", "-q", "-m", message)
        }

        func head() throws -> String { try git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func findings(_ r: ProcessResult) throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? []
    }

    @Test("a secret only in a deleted file, three commits back, packed: found once, attributed to its first commit")
    func deletedAndPacked() throws {
        let repo = try Repo()
        defer { repo.dir.remove() }
        let kw = ScanCLITests.keywardKey()
        try repo.commit("README.md", "# app\n", "init")
        try repo.commit("deploy/secrets.env", "KEYWARD_KEY=\(kw)\n", "add deploy config")
        let first = try repo.head()
        try repo.commit("deploy/copy.env", "KEYWARD_KEY=\(kw)\n", "copy it")
        try repo.git("rm", "-q", "deploy/secrets.env", "deploy/copy.env")
        try repo.git("commit", "-q", "-m", "remove secrets")
        try repo.commit("src/app.py", "print('ok')\n", "code")
        try repo.git("gc", "-q", "--aggressive")
        // The working tree is clean: only history holds the key.
        #expect(try ScanCLITests.scan([repo.path], in: repo.dir).status == 0)
        let r = try ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir)
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

    // SECURITY-CASES 62: base64-wrapped (a Kubernetes Secret's data:), only in history.
    @Test("a base64-wrapped key in a deleted Kubernetes Secret is found in history")
    func base64Wrapped() throws {
        let repo = try Repo()
        defer { repo.dir.remove() }
        let kw = ScanCLITests.keywardKey()
        let encoded = Data("KEYWARD_KEY=\(kw)\nREGION=eu-west-1\n".utf8).base64EncodedString()
        try repo.commit("k8s/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  app.env: \(encoded)\n", "add secret")
        try repo.git("rm", "-q", "k8s/secret.yaml")
        try repo.git("commit", "-q", "-m", "remove")
        let r = try ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir)
        #expect(r.status == 1, "\(r.stderr)")
        let f = try findings(r)
        #expect(f.count == 1)
        #expect((f.first?["rule_id"] as? String)?.hasPrefix("keyward.") == true)
        #expect(f.first?["line"] as? Int == 6)
        #expect(!r.stdout.contains(kw) && !r.stdout.contains(encoded))
    }

    @Test("unreachable history (a reset branch) is still scanned")
    func unreachable() throws {
        let repo = try Repo()
        defer { repo.dir.remove() }
        try repo.commit("a.txt", "a\n", "a")
        try repo.commit("b.yml", "token: \(ScanCLITests.githubToken())\n", "oops")
        try repo.git("reset", "-q", "--hard", "HEAD~1")
        try repo.git("reflog", "expire", "--expire=now", "--all")
        let r = try ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir)
        #expect(r.status == 1)
        #expect(try findings(r).count == 1)
    }

    @Test("--staged scans what is about to be committed (pre-commit hook)")
    func staged() throws {
        let repo = try Repo()
        defer { repo.dir.remove() }
        try repo.commit("a.txt", "a\n", "a")
        #expect(try ScanCLITests.scan(["--staged", repo.path], in: repo.dir).status == 0)
        try ScanCLITests.write(repo.path + "/config.yml", "token: \(ScanCLITests.githubToken())\n")
        try repo.git("add", "config.yml")
        let r = try ScanCLITests.scan(["--staged", repo.path], in: repo.dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("config.yml"))
    }
}
