import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `keyward scan` through the built binary (case 61–63 of docs/security-cases.md).
@Suite("keyward scan", .serialized)
struct ScanCLITests {
    static let cache = KeywardBinary.ruleCache

    static func env(_ dir: TempDirectory) -> [String: String] { KeywardBinary.scanEnvironment(dir) }

    static func scan(_ args: [String], in dir: TempDirectory, stdin: String? = nil) async throws -> ProcessResult {
        try await KeywardBinary.run(["scan", "--cache-dir", cache] + args, env: env(dir), stdin: stdin)
    }

    static func githubToken() -> String {
        var rng = SeededRandom()
        let body = Base62.random(count: 30, using: &rng)
        return "ghp_" + String(decoding: body + Base62.encode(CRC32.checksum(body), width: 6), as: UTF8.self)
    }

    static func keywardKey() -> String { APIKeyFormat.generate(environment: .live).reveal() }

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("exit 0 on a clean tree, 1 with findings; no output format carries the secret")
    func exitCodesAndFormats() async throws {
        let dir = try TempDirectory("keyward-scan")
        defer { dir.remove() }
        try Self.write(dir.file("clean/app.py"), "print('hello')\napi_key = os.environ['API_KEY']\n")
        #expect(try await Self.scan([dir.file("clean")], in: dir).status == 0)
        let gh = Self.githubToken(), kw = Self.keywardKey()
        try Self.write(dir.file("repo/config/.env"), "GITHUB_TOKEN=\(gh)\nKEYWARD_KEY=\(kw)\nPASSWORD=changeme\n")
        try Self.write(dir.file("repo/src/main.go"), "package main\n// nothing here\n")
        for format in ["text", "json", "sarif", "csv"] {
            let r = try await Self.scan([dir.file("repo"), "--format", format], in: dir)
            #expect(r.status == 1, "\(format): \(r.stderr)")
            #expect(!r.stdout.contains(gh) && !r.stdout.contains(kw) && !r.stderr.contains(gh) && !r.stderr.contains(kw))
            #expect(r.stdout.contains("github"))
            #expect(r.stdout.contains("keyward"))
            #expect(r.stdout.contains("hmac-sha256:"))
        }
        let json = try await Self.scan([dir.file("repo"), "--format", "json"], in: dir)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let findings = doc?["findings"] as? [[String: Any]] ?? []
        #expect(findings.count == 2)
        #expect(findings.allSatisfy { ($0["line"] as? Int) != nil && ($0["path"] as? String)?.hasSuffix("config/.env") == true })
        // A bare hash of the secret never appears either.
        #expect(!json.stdout.contains(SecretDigest(hashing: gh.utf8).hex))
    }

    @Test("SARIF validates against the SARIF 2.1.0 schema")
    func sarifSchema() async throws {
        let dir = try TempDirectory("keyward-scan")
        defer { dir.remove() }
        try Self.write(dir.file("repo/a b/k.yaml"), "token: \(Self.githubToken())\n")
        let out = dir.file("out.sarif")
        #expect(try await Self.scan([dir.file("repo"), "--format", "sarif", "--output", out], in: dir).status == 1)
        let v = try await ProcessRunner.run("/usr/bin/env", ["python3", KeywardBinary.repositoryRoot() + "/scripts/validate_sarif.py", out])
        #expect(v.status == 0, "\(v.stdout) \(v.stderr)")
    }

    @Test("a baseline keyed by rule, secret hash and path survives moved code; writing one exits 0; a corrupt one is exit 2")
    func baseline() async throws {
        let dir = try TempDirectory("keyward-scan")
        defer { dir.remove() }
        let gh = Self.githubToken()
        try Self.write(dir.file("repo/ci.yml"), "env:\n  TOKEN: \(gh)\n")
        let base = dir.file("baseline.json")
        // Writing a baseline is a success: exit 0, and it says how many findings it recorded.
        let written = try await Self.scan([dir.file("repo"), "--write-baseline", base], in: dir)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stderr.contains("for 1 findings to \(base)"), "\(written.stderr)")
        try Self.write(dir.file("repo/ci.yml"), "# moved\n\n\nenv:\n  TOKEN: \(gh)\n")
        #expect(try await Self.scan([dir.file("repo"), "--baseline", base], in: dir).status == 0)
        try Self.write(dir.file("repo/other.yml"), "TOKEN: \(gh)\n")
        #expect(try await Self.scan([dir.file("repo"), "--baseline", base], in: dir).status == 1)
        try Self.write(base, "{not json")
        let bad = try await Self.scan([dir.file("repo"), "--baseline", base], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("baseline"))
    }

    @Test("bad flags, an unreadable root and --git outside a repository are exit 2 with a message")
    func errors() async throws {
        let dir = try TempDirectory("keyward-scan")
        defer { dir.remove() }
        #expect(try await Self.scan(["--format", "xml"], in: dir).status == 2)
        #expect(try await Self.scan(["--threads", "0"], in: dir).status == 2)
        let missing = try await Self.scan([dir.file("nope")], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read"))
        try FileManager.default.createDirectory(atPath: dir.file("plain"), withIntermediateDirectories: true)
        let notGit = try await Self.scan(["--git", dir.file("plain")], in: dir)
        #expect(notGit.status == 2)
        #expect(notGit.stderr.contains("not a git repository"))
    }

    @Test("stdin and log lines are scanned")
    func stdin() async throws {
        let dir = try TempDirectory("keyward-scan")
        defer { dir.remove() }
        let kw = Self.keywardKey()
        let r = try await Self.scan(["--stdin", "--format", "json"], in: dir, stdin: "2026-11-25T03:00:00Z INFO auth ok key=\(kw) user=svc\n")
        #expect(r.status == 1)
        #expect(r.stdout.contains("(stdin)"))
        #expect(!r.stdout.contains(kw))
        #expect(try await Self.scan(["--stdin"], in: dir, stdin: "nothing to see\n").status == 0)
    }

    @Test("scan - reads standard input, like keys verify -; - with other paths is exit 2")
    func dashIsStdin() async throws {
        let dir = try TempDirectory("keyward-scan")
        defer { dir.remove() }
        let kw = Self.keywardKey()
        let r = try await Self.scan(["-", "--format", "json"], in: dir, stdin: "key=\(kw)\n")
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("(stdin)"))
        #expect(!r.stdout.contains(kw))
        let mixed = try await Self.scan(["-", dir.path], in: dir, stdin: "")
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("standard input"))
    }

    @Test(".gitignore, --exclude, symlink loops, binary and unreadable files")
    func inputs() async throws {
        let dir = try TempDirectory("keyward-scan")
        defer { dir.remove() }
        let gh = Self.githubToken()
        let root = dir.file("repo")
        try Self.write(root + "/.gitignore", "ignored/\n*.log\n!keep.log\n")
        try Self.write(root + "/ignored/a.txt", "t=\(gh)\n")
        try Self.write(root + "/x.log", "t=\(gh)\n")
        try Self.write(root + "/keep.log", "t=\(gh)\n")
        try Self.write(root + "/vendor/lib.js", "t=\(gh)\n")
        try Self.write(root + "/bin.dat", "t=\(gh)\u{0}\u{0}binary")
        try FileManager.default.createSymbolicLink(atPath: root + "/loop", withDestinationPath: root)
        try FileManager.default.createSymbolicLink(atPath: root + "/outside", withDestinationPath: "/etc")
        try Self.write(root + "/secret.txt", "t=\(gh)\n")
        chmod(root + "/secret.txt", 0)
        let r = try await Self.scan([root, "--exclude", "vendor/**", "--format", "json"], in: dir)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let paths = Set((doc?["findings"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }.map { ($0 as NSString).lastPathComponent })
        // Root reads everything, so only a non-root run sees the unreadable file as a warning.
        let expected: Set<String> = getuid() == 0 ? ["keep.log", "secret.txt"] : ["keep.log"]
        #expect(paths == expected, "\(paths)")
        #expect(r.status == 1)
        #expect((doc?["skipped_binary"] as? Int) == 1)
    }
}

extension KeywardBinary {
    static func repositoryRoot() -> String {
        URL(fileURLWithPath: path()).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

@Suite("keyward scan --report-to", .serialized)
struct ScanReportTests {
    @Test("findings reach the server as SHA-256 digests (high-entropy) or rule and location only, never plaintext")
    func reportTo() async throws {
        let dir = try TempDirectory("keyward-report")
        defer { dir.remove() }
        let (server, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        defer { server.stop() }
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin)]
        let issued = try await KeywardBinary.run(["keys", "create", "--identity", "idn_00000000000000000000000000000000", "--scope", "keyward:report", "--ttl", "1d", "--json"], env: env)
        let reporter = try #require((try JSONSerialization.jsonObject(with: Data(issued.stdout.utf8)) as? [String: Any])?["key"] as? String)
        let kw = ScanCLITests.keywardKey()
        try ScanCLITests.write(dir.file("repo/app.env"), "KEYWARD_KEY=\(kw)\nDB_PASSWORD=Zq8!vR2#pL9xW4mB\n")
        var scanEnv = ScanCLITests.env(dir)
        scanEnv["KEYWARD_TOKEN"] = reporter
        let r = try await KeywardBinary.run(["scan", "--cache-dir", ScanCLITests.cache, dir.file("repo"), "--report-to", url], env: scanEnv)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("reported"))
        let sql = try await ProcessRunner.run("/usr/bin/sqlite3", [dir.file("data/keyward.sqlite"), "SELECT rule_id, coalesce(digest, '-') FROM exposures ORDER BY rule_id"])
        #expect(sql.stdout.contains(SecretDigest(hashing: kw.utf8).hex))
        #expect(!sql.stdout.contains(kw))
        let db = FileManager.default.contents(atPath: dir.file("data/keyward.sqlite")) ?? Data()
        #expect(db.range(of: Data("Zq8!vR2#pL9xW4mB".utf8)) == nil)
        // Without a token: a clear error, exit 2.
        #expect(try await KeywardBinary.run(["scan", "--cache-dir", ScanCLITests.cache, dir.file("repo"), "--report-to", url], env: ScanCLITests.env(dir)).status == 2)
    }
}

@Suite("compiled rule cache", .serialized)
struct RuleCacheTests {
    @Test("a corrupt or truncated cache is rebuilt, never trusted")
    func corruptCache() async throws {
        let dir = try TempDirectory("keyward-cache")
        defer { dir.remove() }
        let cache = dir.file("cache")
        try ScanCLITests.write(dir.file("repo/a.env"), "TOKEN=\(ScanCLITests.githubToken())\n")
        // Starts from the suite's shared cache (compiling 1,000 rules takes a while), copied.
        #expect(try await KeywardBinary.run(["scan", "--cache-dir", KeywardBinary.ruleCache, dir.file("repo")], env: ScanCLITests.env(dir)).status == 1)
        // Entry by entry: other tests may be writing or pruning the shared folder meanwhile.
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: KeywardBinary.ruleCache) where f.hasSuffix(".hsdb") {
            try? FileManager.default.copyItem(atPath: KeywardBinary.ruleCache + "/" + f, toPath: cache + "/" + f)
        }
        let scan = { try await KeywardBinary.run(["scan", "--cache-dir", cache, dir.file("repo")], env: ScanCLITests.env(dir)) }
        // The entries a scan loads are touched (pruning keeps what is in use): those are the
        // built-in rules' detect and token-rule databases; the shared folder may hold others.
        let copied = Date()
        #expect(try await scan().status == 1)
        let fm = FileManager.default
        func modified(_ f: String) -> Date { ((try? fm.attributesOfItem(atPath: cache + "/" + f))?[.modificationDate] as? Date) ?? .distantPast }
        let files = try fm.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".hsdb") && modified($0) >= copied }
        #expect(files.count == 2)
        // The smaller is flipped and then truncated; the larger only flipped (a rebuild costs seconds).
        func size(_ f: String) -> Int { ((try? fm.attributesOfItem(atPath: cache + "/" + f))?[.size] as? Int) ?? 0 }
        let bySize = files.sorted { size($0) < size($1) }
        for (n, f) in bySize.enumerated() {
            var data = try Data(contentsOf: URL(fileURLWithPath: cache + "/" + f))
            let original = data
            data[data.count / 2] ^= 0xFF
            try data.write(to: URL(fileURLWithPath: cache + "/" + f))
            #expect(try await scan().status == 1)
            // Rebuilt: the file is whole again.
            #expect(try Data(contentsOf: URL(fileURLWithPath: cache + "/" + f)) == original)
            guard n == 0 else { continue }
            try original.prefix(100).write(to: URL(fileURLWithPath: cache + "/" + f))
            #expect(try await scan().status == 1)
            #expect(try Data(contentsOf: URL(fileURLWithPath: cache + "/" + f)) == original)
        }
    }
}

@Suite("the repository scans clean", .serialized)
struct SelfScanTests {
    // CONVENTIONS.md: the project's own scan allow-lists the rule and test folders by path, so a
    // real secret anywhere else fails the build.
    @Test("keyward scan of this repository finds nothing outside the rule and test folders")
    func selfScan() async throws {
        let dir = try TempDirectory("keyward-self")
        defer { dir.remove() }
        let root = KeywardBinary.repositoryRoot()
        let r = try await ScanCLITests.scan([root, "--exclude", "Sources/KeywardScanner/Resources/rules/**", "--exclude", "Tests/**",
                                       "--exclude", ".build*", "--exclude", ".swiftpm"], in: dir)
        #expect(r.status == 0, "\(r.stdout.prefix(2000))")
    }
}
