import Foundation
import KeywardTesting
import Testing

/// The README's leak tour with the built binary: a key committed to a git repository three
/// commits back is found by `keyward scan --git --report-to`, matched to its owner and revoked
/// with the key derived from it; the incident shows its clock. Then third-party credentials are
/// imported from a .env file and a paste containing one opens an incident for its owner.
@Suite("leak tour (CLI)", .serialized)
struct LeakTourTests {
    @Test("leaked in git → found → matched → revoked with its derived key → incident with time to contain")
    func gitLeakContained() async throws {
        let e = try await CLITourTests.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.json("identities", "create", "--name", "orders-api", "--kind", "service", "--environment", "production",
                             "--technical-owner", "bob@example.com", "--business-owner", "orders", "--purpose", "creates orders",
                             "--allowed-scope", "orders:read", "--allowed-scope", "orders:write")
        let idnID = try #require(idn["id"] as? String)
        let issued = try await e.json("keys", "create", "--identity", idnID, "--scope", "orders:read", "--scope", "orders:write", "--ttl", "30d")
        let keyID = try #require(issued["id"] as? String)
        let key = try #require(issued["key"] as? String)
        let derived = try await e.json("keys", "create", "--identity", idnID, "--scope", "orders:read", "--ttl", "1d", "--derived-from", keyID)
        let derivedKey = try #require(derived["key"] as? String)
        let consumer = try await e.kw("consumers", "create", "--name", "orders-worker", "--kind", "deployment", "--environment", "production",
                                "--contact", "#orders-oncall", "--holds", keyID)
        #expect(consumer.status == 0, "\(consumer.stderr)")
        let reporter = try #require(try await e.json("keys", "create", "--identity", "idn_00000000000000000000000000000000", "--scope", "keyward:report")["key"] as? String)

        // The key goes into a repository three commits back, then is deleted.
        let repo = try await ScanGitTests.Repo()
        defer { repo.dir.remove() }
        try await repo.commit("config/orders.env", "ORDERS_API_KEY=\(key)\n", "add config")
        try await repo.commit("README.md", "# orders\n", "docs")
        try FileManager.default.removeItem(atPath: repo.path + "/config/orders.env")
        try await repo.commit("README.md", "# orders service\n", "remove config")

        let scan = try await KeywardBinary.run(["scan", "--cache-dir", ScanCLITests.cache, repo.path, "--git", "--format", "json", "--report-to", e.url],
                                         env: ScanCLITests.env(e.dir).merging(["KEYWARD_TOKEN": reporter]) { $1 })
        #expect(scan.status == 1, "findings exit 1: \(scan.stderr)")
        #expect(scan.stderr.contains("action revoke"), "\(scan.stderr)")
        #expect(!scan.stdout.contains(key) && !scan.stderr.contains(key))

        for k in [key, derivedKey] {
            let v = try await e.kw("keys", "verify", stdin: k + "\n")
            #expect(v.status == 1)
            #expect(v.stdout.contains("revoked"))
        }
        let list = try await e.kw("incidents", "list")
        #expect(list.status == 0)
        #expect(list.stdout.contains(keyID) && list.stdout.contains(" ms"))
        let incidents = try await e.json("incidents", "list")
        let incident = try #require((incidents["items"] as? [[String: Any]])?.first)
        let incidentID = try #require(incident["id"] as? String)
        #expect(incident["time_to_contain_ms"] as? Int != nil)
        let show = try await e.kw("incidents", "show", incidentID)
        #expect(show.status == 0)
        for text in ["received", "matched", "contained", "orders-worker", "bob@example.com", "keyward keys create --identity \(idnID)"] {
            #expect(show.stdout.contains(text), "incident show lacks \(text)")
        }
        let radius = try await e.kw("keys", "blast-radius", keyID)
        #expect(radius.stdout.contains("orders-worker"))
        #expect(try await e.kw("incidents", "resolve", incidentID, "--reason", "successor deployed").status == 0)
    }

    @Test("import a .env into the inventory; a paste with one of its values opens an incident naming the provider's revocation")
    func importAndIntelligence() async throws {
        let e = try await CLITourTests.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try #require(try await e.json("identities", "create", "--name", "billing", "--kind", "service", "--environment", "production",
                                          "--technical-owner", "carol@example.com", "--purpose", "bills customers")["id"] as? String)
        let stripeLike = "sk_live_" + "51Hx7qLmN3pRt9VwY2zKc4" + "Bd8FgJs6Tu0Ae5Qi" // synthetic, split so the self-scan ignores it
        let envFile = e.dir.file("billing.env")
        try "# billing service\nexport STRIPE_SECRET_KEY=\(stripeLike)\nDB_PASSWORD='correct horse battery'\nEMPTY=\n".write(toFile: envFile, atomically: true, encoding: .utf8)

        let dry = try await e.kw("import", "dotenv", envFile, "--identity", idn, "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("stripe"))
        #expect(!dry.stdout.contains(stripeLike))
        let imported = try await e.kw("import", "dotenv", envFile, "--identity", idn)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(!imported.stdout.contains(stripeLike) && !imported.stdout.contains("correct horse"))
        let again = try await e.kw("import", "dotenv", envFile, "--identity", idn)
        #expect(again.stdout.contains("already held"))

        let paste = try await e.kw("exposures", "report", "--source", "paste", "--url", "https://paste.example/x", "--rule", "stripe.secret-key",
                             "--secret-stdin", stdin: stripeLike + "\n")
        #expect(paste.status == 0, "\(paste.stderr)")
        #expect(paste.stdout.contains("third_party") && paste.stdout.contains("action notify"))
        let incidents = try await e.json("incidents", "list")
        let id = try #require((incidents["items"] as? [[String: Any]])?.first?["id"] as? String)
        let show = try await e.kw("incidents", "show", id)
        #expect(show.stdout.contains("dashboard.stripe.com"))
        #expect(!show.stdout.contains(stripeLike))

        // A Kubernetes Secret (base64 data and stringData) and an AWS credentials file. The
        // values are synthetic and assembled at run time so the repository's self-scan stays clean.
        let accessKey = "AKIA" + "QX7ZB2KD4MN6PR8T"
        let secretKey = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq9v8T3kLm2w"
        let manifest = """
            apiVersion: v1
            kind: Secret
            metadata:
              name: billing-aws
              namespace: payments
            data:
              AWS_ACCESS_KEY_ID: \(Data(accessKey.utf8).base64EncodedString())
            stringData:
              note: "not a secret at all"
            """
        try manifest.write(toFile: e.dir.file("secret.yaml"), atomically: true, encoding: .utf8)
        let k8s = try await e.kw("import", "k8s-secret", e.dir.file("secret.yaml"), "--identity", idn, "--json")
        #expect(k8s.status == 0, "\(k8s.stderr)")
        #expect(k8s.stdout.contains("payments/billing-aws:data.AWS_ACCESS_KEY_ID") && k8s.stdout.contains("\"provider\" : \"aws\""))
        try "[default]\naws_access_key_id = \(accessKey)\naws_secret_access_key = \(secretKey)\nregion = eu-west-1\n"
            .write(toFile: e.dir.file("credentials"), atomically: true, encoding: .utf8)
        let aws = try await e.kw("import", "aws-credentials", e.dir.file("credentials"), "--identity", idn)
        #expect(aws.status == 0, "\(aws.stderr)")
        #expect(aws.stdout.contains("default:aws_secret_access_key"))
        #expect(aws.stdout.contains("already held"), "the access key id came in with the Kubernetes Secret already")
        #expect(!k8s.stdout.contains(accessKey) && !aws.stdout.contains(secretKey))

        let bad = try await e.kw("import", "dotenv", e.dir.file("missing.env"), "--identity", idn)
        #expect(bad.status == 2)
        let badFormat = try await e.kw("import", "yaml", envFile, "--identity", idn)
        #expect(badFormat.status == 2)
        try "NOT A DOTENV LINE\n".write(toFile: e.dir.file("broken.env"), atomically: true, encoding: .utf8)
        let broken = try await e.kw("import", "dotenv", e.dir.file("broken.env"), "--identity", idn)
        #expect(broken.status == 2 && broken.stderr.contains("line 1"))
    }

    @Test("serve refuses bad containment, quarantine and partner-key flags with exit 2 and creates no store")
    func badServeFlags() async throws {
        let dir = try TempDirectory("keyward-flags")
        defer { dir.remove() }
        try "{\"public_keys\":[{\"key_identifier\":\"k\",\"key\":\"not a key\"}]}".write(toFile: dir.file("gh.json"), atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--containment", "live=explode"], "revoke, quarantine or notify"),
            (["--containment", "twitter:live=revoke"], "containment source"),
            (["--containment", "prod=revoke"], "live, test or *"),
            (["--quarantine-scopes", "payments:read,bad scope"], "--quarantine-scopes"),
            (["--github-keys-file", dir.file("missing.json")], "cannot read"),
            (["--github-keys-file", dir.file("gh.json")], "not a P-256 public key"),
        ]
        for (args, message) in cases {
            let r = try await KeywardBinary.run(["serve", "--data-dir", dir.file("data"), "--port", "0"] + args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
    }
}
