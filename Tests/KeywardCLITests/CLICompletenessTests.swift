import Foundation
import KeywardTesting
import Testing

/// Issue 11: the CLI covers every /v1 resource, ids can be captured in scripts (`-q`), errors
/// speak in flags and come as JSON under `--json`, and a key's mode follows its identity.
@Suite("CLI as complete as the API", .serialized)
struct CLICompletenessTests {
    struct Env {
        let dir: TempDirectory
        let server: BackgroundProcess
        let env: [String: String]

        func kw(_ args: String..., stdin: String? = nil) async throws -> ProcessResult {
            try await KeywardBinary.run(args, env: env, stdin: stdin)
        }

        /// Runs a command that must succeed and returns its trimmed standard output.
        func out(_ args: String...) async throws -> String {
            let r = try await KeywardBinary.run(args, env: env)
            #expect(r.status == 0, "\(args.prefix(2)): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func start() async throws -> Env {
        let dir = try TempDirectory("keyward-cli-complete")
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        return Env(dir: dir, server: p, env: ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(key)])
    }

    static func matches(_ s: String, _ pattern: String) -> Bool { s.range(of: pattern, options: .regularExpression) != nil }

    @Test("-q prints only ids (and an issued key beside its id); a key's mode follows its identity's environment unless given")
    func quietIdsAndModes() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.out("identities", "create", "-q", "--name", "payments-api", "--kind", "service", "--environment", "production",
                                  "--technical-owner", "alice@example.com", "--purpose", "charges cards", "--allowed-scope", "payments:read")
        #expect(Self.matches(idn, "^idn_[0-9a-f]{32}$"))
        let issued = try await e.out("keys", "create", "-q", "--identity", idn, "--scope", "payments:read", "--ttl", "30d")
        let parts = issued.split(separator: " ").map(String.init)
        #expect(parts.count == 2 && Self.matches(parts[0], "^key_[0-9a-f]{32}$") && parts[1].hasPrefix("kw_live_"))
        #expect(try await e.out("identities", "list", "--name", "payments-api", "-q") == idn)
        #expect(try await e.out("keys", "list", "--identity", idn, "-q") == parts[0])

        let staging = try await e.out("identities", "create", "-q", "--name", "payments-staging", "--kind", "service", "--environment", "staging",
                                      "--technical-owner", "alice@example.com", "--purpose", "charges cards", "--allowed-scope", "payments:read")
        let test = try await e.out("keys", "create", "-q", "--identity", staging, "--scope", "payments:read", "--ttl", "7d")
        #expect(test.split(separator: " ").last?.hasPrefix("kw_test_") == true)
        let forced = try await e.out("keys", "create", "-q", "--identity", staging, "--scope", "payments:read", "--ttl", "7d", "--mode", "live")
        #expect(forced.split(separator: " ").last?.hasPrefix("kw_live_") == true)
    }

    @Test("messages name flags and say how to find the id; --json errors are JSON on stderr with the server's problem")
    func messagesAndJSONErrors() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let byName = try await e.kw("keys", "create", "--identity", "payments-api", "--scope", "payments:read")
        #expect(byName.status == 2)
        #expect(byName.stderr.contains("--identity must be an identity id (idn_…); to find it by name: keyward identities list --name payments-api"))
        // A value that may be a secret pasted in the wrong place is never echoed.
        let pasted = "Zq8vX2mR7tLp4Wc9Kd3Hf6Jb1Ns5Gy0"
        let secretish = try await e.kw("keys", "create", "--identity", pasted, "--scope", "payments:read")
        #expect(secretish.status == 2 && !secretish.stderr.contains(pasted) && secretish.stderr.contains("--name NAME"))
        #expect(try await e.kw("keys", "show", "payments-api").stderr.contains("KEY-ID must be a key id (key_…)"))

        let missing = try await e.kw("keys", "show", "key_" + String(repeating: "0", count: 32), "--json")
        #expect(missing.status == 2 && missing.stdout.isEmpty)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(missing.stderr.utf8)) as? [String: Any])
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["exit"] as? Int == 2)
        #expect((error["problem"] as? [String: Any])?["status"] as? Int == 404)
        let local = try await e.kw("keys", "create", "--identity", "nope", "--scope", "x", "--json")
        #expect(((try JSONSerialization.jsonObject(with: Data(local.stderr.utf8)) as? [String: Any])?["error"] as? [String: Any])?["message"] is String)
    }

    @Test("credentials list/show/delete, consumers delete, webhooks delete and audit list work end to end, and each delete is audited")
    func everyResource() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.out("identities", "create", "-q", "--name", "billing", "--kind", "service", "--environment", "production",
                                  "--technical-owner", "bob@example.com", "--purpose", "bills")
        let envFile = e.dir.file("billing.env")
        try "STRIPE_SECRET_KEY=sk_live_51Hq8ZtXv7Lp2Wm9Kd3Hf6Jb1Ns5Gy0Rc4Ta8Ue2Io7Pa3Sd\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        #expect(try await e.kw("import", "dotenv", envFile, "--identity", idn, "--cache-dir", KeywardBinary.ruleCache).status == 0)
        let crd = try await e.out("credentials", "list", "--identity", idn, "-q")
        #expect(Self.matches(crd, "^crd_[0-9a-f]{32}$"))
        let shown = try await e.out("credentials", "show", crd)
        #expect(shown.contains("stripe") && !shown.contains("51Hq8ZtXv7Lp2Wm9"))

        let csm = try await e.out("consumers", "create", "-q", "--name", "billing-worker", "--kind", "deployment", "--environment", "production", "--holds", crd)
        #expect(try await e.out("consumers", "list", "--holds", crd, "-q") == csm)
        #expect(try await e.out("consumers", "delete", csm) == "deleted \(csm)")
        #expect(try await e.out("consumers", "list", "-q").isEmpty)

        let whk = try await e.out("webhooks", "create", "-q", "--url", "http://127.0.0.1:9/hook", "--event", "incident.opened")
        #expect(whk.hasPrefix("whk_") && whk.contains(" whsec_"))
        let whkID = String(whk.split(separator: " ")[0])
        #expect(try await e.out("webhooks", "delete", whkID, "-q").isEmpty)
        #expect(try await e.out("webhooks", "list", "-q").isEmpty)

        #expect(try await e.out("credentials", "delete", crd) == "deleted \(crd)")
        let gone = try await e.kw("credentials", "show", crd)
        #expect(gone.status == 2 && gone.stderr.contains("404"))

        let actions = try await e.out("audit", "list", "--last", "4")
        for a in ["consumer.deleted", "webhook.deleted", "credential.deleted"] { #expect(actions.contains(a)) }
        #expect(!actions.contains("51Hq8ZtXv7Lp2Wm9"))
        #expect(try await e.out("audit", "list", "--last", "1", "-q").split(separator: "\n").count == 1)
    }
}
