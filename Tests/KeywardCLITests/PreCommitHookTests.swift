import Foundation
import KeywardTesting
import Testing

/// The repository's `.pre-commit-hooks.yaml`, used as written by the real pre-commit framework
/// (PyPI `pre-commit`): a hook repository made of that file in a temp folder, a project that
/// names it in `.pre-commit-config.yaml`, the built `keyward` on PATH.
@Suite("pre-commit hooks", .serialized)
struct PreCommitHookTests {
    struct Setup {
        let dir: TempDirectory
        var work: String { dir.file("work") }
        var env: [String: String] {
            let bin = URL(fileURLWithPath: KeywardBinary.path()).deletingLastPathComponent().path
            return ScanCLITests.env(dir).merging([
                "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "HOME": dir.path, "PRE_COMMIT_HOME": dir.file("pre-commit-home"), "XDG_CACHE_HOME": dir.file("cache"),
                "GIT_AUTHOR_NAME": "Dev One", "GIT_AUTHOR_EMAIL": "dev@example.com",
                "GIT_COMMITTER_NAME": "Dev One", "GIT_COMMITTER_EMAIL": "dev@example.com",
            ]) { $1 }
        }

        init() async throws {
            dir = try TempDirectory("keyward-pre-commit")
            // keyward scan's default rule cache ($XDG_CACHE_HOME/keyward) is the suite's warm one.
            try FileManager.default.createDirectory(atPath: dir.file("cache"), withIntermediateDirectories: true)
            await KeywardBinary.warmRuleCache()
            try FileManager.default.createSymbolicLink(atPath: dir.file("cache/keyward"), withDestinationPath: KeywardBinary.ruleCache)
            let hooks = dir.file("hooks")
            try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
            let file = KeywardBinary.repositoryRoot().appendingPathComponent(".pre-commit-hooks.yaml").path
            try FileManager.default.copyItem(atPath: file, toPath: hooks + "/.pre-commit-hooks.yaml")
            try await run("git", ["init", "-q", "-b", "main"], in: hooks)
            try await run("git", ["add", "-A"], in: hooks)
            try await run("git", ["commit", "-q", "-m", "hooks"], in: hooks)
            let rev = try await run("git", ["rev-parse", "HEAD"], in: hooks).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try await run("git", ["init", "-q", "-b", "main"], in: work)
            try ScanCLITests.write(work + "/.pre-commit-config.yaml", """
                repos:
                  - repo: \(hooks)
                    rev: \(rev)
                    hooks:
                      - id: keyward
                      - id: keyward-push

                """)
            try ScanCLITests.write(work + "/README.md", "# app\n")
            try await run("git", ["add", "-A"], in: work)
            try await run("git", ["commit", "-q", "-m", "init"], in: work)
        }

        @discardableResult
        func run(_ tool: String, _ args: [String], in folder: String? = nil, expect status: Int32? = 0) async throws -> ProcessResult {
            let r = try await ProcessRunner.run("/usr/bin/env", [tool] + args, environment: env, currentDirectory: folder ?? work)
            if let status { #expect(r.status == status, "\(tool) \(args): \(r.stdout) \(r.stderr)") }
            return r
        }
    }

    @Test("the keyward hook refuses a commit whose staged change holds a secret, and lets a clean one through")
    func preCommit() async throws {
        let s = try await Setup()
        defer { s.dir.remove() }
        try await s.run("pre-commit", ["install"])
        let token = ScanCLITests.githubToken()
        try ScanCLITests.write(s.work + "/config.env", "GITHUB_TOKEN=\(token)\n")
        try await s.run("git", ["add", "config.env"])
        let refused = try await s.run("git", ["commit", "-q", "-m", "add config"], expect: 1)
        #expect((refused.stdout + refused.stderr).contains("config.env"))
        #expect(!(refused.stdout + refused.stderr).contains(token), "the hook's output shows no secret")
        #expect(try await s.run("git", ["rev-list", "--count", "HEAD"]).stdout.hasPrefix("1"))

        try ScanCLITests.write(s.work + "/config.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n")
        try await s.run("git", ["add", "config.env"])
        try await s.run("git", ["commit", "-q", "-m", "add config"])
        #expect(try await s.run("git", ["rev-list", "--count", "HEAD"]).stdout.hasPrefix("2"))
    }

    @Test("the keyward-push hook scans only the commits being pushed (keyward scan --git --since the remote's)")
    func prePush() async throws {
        let s = try await Setup()
        defer { s.dir.remove() }
        let base = try await s.run("git", ["rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try ScanCLITests.write(s.work + "/app.py", "print('ok')\n")
        try await s.run("git", ["add", "app.py"])
        try await s.run("git", ["commit", "-q", "-m", "code"])
        let clean = try await s.run("git", ["rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let push = ["run", "keyward-push", "--hook-stage", "pre-push", "--from-ref", base, "--to-ref"]
        try await s.run("pre-commit", push + [clean])

        try ScanCLITests.write(s.work + "/deploy.env", "KEYWARD_KEY=\(ScanCLITests.keywardKey())\n")
        try await s.run("git", ["add", "deploy.env"])
        try await s.run("git", ["commit", "-q", "--no-verify", "-m", "deploy"])
        let head = try await s.run("git", ["rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let refused = try await s.run("pre-commit", push + [head], expect: 1)
        #expect(refused.stdout.contains("deploy.env"), "\(refused.stdout)")
        // What was pushed before (up to `clean`) is not scanned again: the secret is after it.
        try await s.run("pre-commit", ["run", "keyward-push", "--hook-stage", "pre-push", "--from-ref", head, "--to-ref", head])
    }
}
