import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `keyward import` with the built binary (issue 11, bugs 1, 3 and 6): each variable is
/// classified, only credentials are imported, the rest skipped with its reason; an imported
/// AWS secret access key carries its digest, so a leak report by SHA-256 and a scan find it.
/// Every value is synthetic and made at run time.
@Suite("keyward import (CLI)", .serialized)
struct ImportCLITests {
    static func randomBody(_ n: Int) -> String {
        var rng = SeededRandom()
        return String(decoding: Base62.random(count: n, using: &rng), as: UTF8.self)
    }

    /// 40 characters of AWS's secret-key alphabet, random enough for the rule's entropy floor.
    static func awsSecretKey() -> String { randomBody(36) + "/+" + randomBody(2) }

    static func rows(_ stdout: String) throws -> [String: [String: Any]] {
        let report = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let items = try #require(report["items"] as? [[String: Any]])
        return Dictionary(items.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("a .env with PORT, APP_NAME, LOG_LEVEL, FEATURE_FLAG beside secrets: only the credentials are imported, the rest skipped with reasons; --only, --skip")
    func ordinaryDotenv() async throws {
        let e = try await CLITourTests.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try #require(try await e.json("identities", "create", "--name", "billing", "--kind", "service", "--environment", "production",
                                                "--technical-owner", "carol@example.com", "--purpose", "bills customers")["id"] as? String)
        let stripe = "sk_live_" + Self.randomBody(40)
        let github = ScanCLITests.githubToken()
        let password = "correct horse battery"
        let file = e.dir.file("billing.env")
        try "PORT=8080\nAPP_NAME=billing-service\nLOG_LEVEL=debug\nFEATURE_FLAG=true\nSTRIPE_SECRET_KEY=\(stripe)\nDB_PASSWORD='\(password)'\nGITHUB_TOKEN=\(github)\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        func kw(_ args: String...) async throws -> ProcessResult {
            let r = try await KeywardBinary.run(args + ["--cache-dir", KeywardBinary.ruleCache], env: e.env)
            for secret in [stripe, github, password] { #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret)) }
            return r
        }

        let dry = try await kw("import", "dotenv", file, "--identity", idn, "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        let lines = dry.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "LINE", "DECISION", "PROVIDER", "RULE", "REASON"])
        for (name, decision, reason) in [("PORT", "skip", "a number"), ("APP_NAME", "skip", "the name says nothing"), ("LOG_LEVEL", "skip", "a log level"),
                                         ("FEATURE_FLAG", "skip", "a boolean"), ("STRIPE_SECRET_KEY", "import", "Stripe"),
                                         ("DB_PASSWORD", "import", "the name says PASSWORD"), ("GITHUB_TOKEN", "import", "GitHub")] {
            let row = lines.first { $0.hasPrefix(name + " ") } ?? ""
            #expect(row.contains(" \(decision) ") && row.contains(reason), "\(name): \(row)")
        }

        let run = try await kw("import", "dotenv", file, "--identity", idn, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try Self.rows(run.stdout)
        #expect(rows.filter { $0.value["credential"] != nil }.keys.sorted() == ["DB_PASSWORD", "GITHUB_TOKEN", "STRIPE_SECRET_KEY"])
        #expect((rows["PORT"]?["line"] as? Int) == 1 && (rows["PORT"]?["decision"] as? String) == "skip")
        // Bug 6: the stored prefix is the format's tag or nothing.
        #expect((rows["GITHUB_TOKEN"]?["credential"] as? [String: Any])?["prefix"] as? String == "ghp_")
        #expect((rows["DB_PASSWORD"]?["credential"] as? [String: Any])?["prefix"] as? String == "")
        #expect((rows["STRIPE_SECRET_KEY"]?["credential"] as? [String: Any])?["prefix"] as? String == "sk_live_")

        // --only forces a name the classifier skips and drops the rest; --skip skips one.
        let only = try await kw("import", "dotenv", file, "--identity", idn, "--only", "APP_NAME", "--json")
        #expect(only.status == 0, "\(only.stderr)")
        let onlyRows = try Self.rows(only.stdout)
        #expect(onlyRows.filter { $0.value["credential"] != nil }.keys.sorted() == ["APP_NAME"])
        #expect((onlyRows["APP_NAME"]?["reason"] as? String ?? "").contains("--only"))
        #expect((onlyRows["GITHUB_TOKEN"]?["reason"] as? String) == "not named by --only")
        let skip = try await kw("import", "dotenv", file, "--identity", idn, "--skip", "GITHUB_TOKEN", "--dry-run", "--json")
        #expect((try Self.rows(skip.stdout)["GITHUB_TOKEN"]?["decision"] as? String) == "skip")

        // Errors name the variable (and its line), exit 2, and send nothing.
        let unknown = try await kw("import", "dotenv", file, "--identity", idn, "--only", "NOPE", "--skip", "port")
        #expect(unknown.status == 2 && unknown.stderr.contains("NOPE, port"), "\(unknown.stderr)")
        let forced = try await kw("import", "dotenv", file, "--identity", idn, "--only", "PORT")
        #expect(forced.status == 2 && forced.stderr.contains("PORT (line 1): too short"), "\(forced.stderr)")
        #expect(!forced.stderr.contains("8080") && !forced.stderr.contains("items["))

        // Nothing left to import: said so, exit 0, nothing sent.
        try "PORT=8080\nLOG_LEVEL=debug\n".write(toFile: e.dir.file("plain.env"), atomically: true, encoding: .utf8)
        let none = try await kw("import", "dotenv", e.dir.file("plain.env"), "--identity", idn)
        #expect(none.status == 0 && none.stderr.contains("nothing to import"), "\(none.stderr)")
        let creds = try await ProcessRunner.run("/usr/bin/sqlite3", [e.dir.file("data/keyward.sqlite"), "SELECT name FROM credentials ORDER BY name"])
        #expect(creds.stdout.split(separator: "\n").map(String.init) == ["APP_NAME", "DB_PASSWORD", "GITHUB_TOKEN", "STRIPE_SECRET_KEY"])
    }

    @Test("an imported AWS secret access key (credentials file; .env) is matched by a leak report by SHA-256 and by scan --report-to")
    func awsSecretKeyDigest() async throws {
        let e = try await CLITourTests.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try #require(try await e.json("identities", "create", "--name", "exports", "--kind", "service", "--environment", "production",
                                                "--technical-owner", "dan@example.com", "--purpose", "writes exports")["id"] as? String)
        let fromFile = Self.awsSecretKey(), fromEnv = Self.awsSecretKey()
        try "[default]\naws_access_key_id = AKIA\(Self.randomBody(16).uppercased())\naws_secret_access_key = \(fromFile)\nregion = eu-west-1\noutput = json\n"
            .write(toFile: e.dir.file("credentials"), atomically: true, encoding: .utf8)
        try "AWS_SECRET_ACCESS_KEY=\(fromEnv)\n".write(toFile: e.dir.file("aws.env"), atomically: true, encoding: .utf8)

        let aws = try await e.kw("import", "aws-credentials", e.dir.file("credentials"), "--identity", idn, "--json", "--cache-dir", KeywardBinary.ruleCache)
        #expect(aws.status == 0, "\(aws.stderr)")
        let awsRows = try Self.rows(aws.stdout)
        let secretRow = try #require(awsRows["default:aws_secret_access_key"])
        #expect(secretRow["rule_id"] as? String == "aws.secret-access-key")
        let fileCredential = try #require((secretRow["credential"] as? [String: Any])?["id"] as? String)
        #expect((secretRow["credential"] as? [String: Any])?["has_digest"] as? Bool == true)
        #expect((awsRows["default:region"]?["decision"] as? String) == "skip" && (awsRows["default:output"]?["decision"] as? String) == "skip")
        let env = try await e.kw("import", "dotenv", e.dir.file("aws.env"), "--identity", idn, "--json", "--cache-dir", KeywardBinary.ruleCache)
        let envCredential = try #require((try Self.rows(env.stdout)["AWS_SECRET_ACCESS_KEY"]?["credential"] as? [String: Any])?["id"] as? String)

        // A leak report by SHA-256 opens an incident for the credential from the file.
        let report = try await e.kw("exposures", "report", "--source", "paste", "--url", "https://paste.example/x", "--rule", "aws.secret-access-key",
                                    "--sha256", SecretDigest(hashing: fromFile.utf8).hex)
        #expect(report.status == 0 && report.stdout.contains("third_party"), "\(report.stdout) \(report.stderr)")
        // A scan of a file holding the .env's secret, reported with a keyward:report key, opens one for it.
        let reporter = try #require(try await e.json("keys", "create", "--identity", "idn_00000000000000000000000000000000", "--scope", "keyward:report")["key"] as? String)
        try ScanCLITests.write(e.dir.file("repo/deploy.sh"), "export AWS_SECRET_ACCESS_KEY=\(fromEnv)\n")
        let scan = try await KeywardBinary.run(["scan", "--cache-dir", ScanCLITests.cache, e.dir.file("repo"), "--report-to", e.url],
                                               env: ScanCLITests.env(e.dir).merging(["KEYWARD_TOKEN": reporter]) { $1 })
        #expect(scan.status == 1, "\(scan.stderr)")
        let incidents = try await e.json("incidents", "list")
        let targets = Set((incidents["items"] as? [[String: Any]] ?? []).compactMap { $0["target_id"] as? String })
        #expect(targets.isSuperset(of: [fileCredential, envCredential]), "\(targets)")

        // Bug 6: the scan's preview of an AWS secret key shows no character of it.
        let json = try await KeywardBinary.run(["scan", "--cache-dir", ScanCLITests.cache, e.dir.file("repo"), "--format", "json"], env: ScanCLITests.env(e.dir))
        #expect(json.stdout.contains("\"preview\" : \"…(40 chars, redacted)\"") || json.stdout.contains("\"preview\":\"…(40 chars, redacted)\""), "\(json.stdout)")
        #expect(!json.stdout.contains(String(fromEnv.prefix(8))))
    }

    @Test("k8s-secret: malformed YAML exits 2 naming the line and column, never the value; an anchored Secret reads with --dry-run, sending nothing")
    func kubernetesYAML() async throws {
        let secret = "test-only-" + Self.randomBody(24)
        let args = ["import", "k8s-secret", "-", "--identity", "idn_00000000000000000000000000000001", "--cache-dir", KeywardBinary.ruleCache]
        // No server runs: a parse error, and a dry run, never reach one.
        let env = ["KEYWARD_ADDR": "http://127.0.0.1:9", "KEYWARD_TOKEN": "kw_test_unused"]
        let broken = "kind: Secret\nmetadata:\n  name: web\nstringData:\n  token: \"\(secret)\\q\"\n"
        let plain = try await KeywardBinary.run(args, env: env, stdin: broken)
        #expect(plain.status == 2, "\(plain.stderr)")
        #expect(plain.stderr.contains("-: line 5, column ") && plain.stderr.contains("unknown escape character"), "\(plain.stderr)")
        let json = try await KeywardBinary.run(args + ["--json"], env: env, stdin: broken)
        #expect(json.status == 2 && json.stderr.contains("\"exit\"") && json.stderr.contains("line 5, column "), "\(json.stderr)")
        for r in [plain, json] { #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret)) }

        let anchored = "kind: Secret\nmetadata:\n  name: web\nstringData:\n  API_TOKEN: &t \(secret)\n  <<: {OTHER_TOKEN: *t}\n"
        let dry = try await KeywardBinary.run(args + ["--dry-run", "--json"], env: env, stdin: anchored)
        #expect(dry.status == 0, "\(dry.stderr)")
        let rows = try Self.rows(dry.stdout)
        #expect(rows.keys.sorted() == ["default/web:stringData.API_TOKEN", "default/web:stringData.OTHER_TOKEN"])
        #expect((rows["default/web:stringData.OTHER_TOKEN"]?["line"] as? Int) == 6)
        #expect(!dry.stdout.contains(secret) && !dry.stderr.contains(secret))
    }
}
