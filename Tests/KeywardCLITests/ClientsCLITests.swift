import Foundation
import KeywardTesting
import Testing

/// Issue 13: `keyward clients …` and `keyward oauth rotate-signing-key`, the built binary against a
/// served instance. Keys are generated here with openssl (never committed); the token comes from a
/// real OAuth client, Python's requests-oauth2client (installed by scripts/install.sh --test).
@Suite("keyward clients: OAuth clients from the command line", .serialized)
struct ClientsCLITests {
    struct Env {
        let dir: TempDirectory
        let server: BackgroundProcess
        let url: String
        let env: [String: String]

        func kw(_ args: String..., stdin: String? = nil) async throws -> ProcessResult {
            try await KeywardBinary.run(args, env: env, stdin: stdin)
        }

        func kw(_ args: [String]) async throws -> ProcessResult {
            try await KeywardBinary.run(args, env: env)
        }

        /// Runs a command that must succeed and returns its trimmed standard output.
        func out(_ args: String...) async throws -> String {
            let r = try await KeywardBinary.run(args, env: env)
            #expect(r.status == 0, "\(args.prefix(2)): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// An identity allowed `payments:read`, as the issuance policy wants it.
        func identity(_ name: String) async throws -> String {
            try await out("identities", "create", "-q", "--name", name, "--kind", "service", "--environment", "production",
                          "--technical-owner", "alice@example.com", "--purpose", "charges cards", "--allowed-scope", "payments:read")
        }

        /// `openssl args…` in the test folder; the files it writes stay there.
        func openssl(_ args: String...) async throws {
            let r = try await ProcessRunner.run("/usr/bin/openssl", args, currentDirectory: dir.path)
            #expect(r.status == 0, "openssl \(args.first ?? ""): \(r.stderr)")
        }

        /// A private key and its public half, as PEM files: `name.key.pem`, `name.pub.pem`.
        func keyPair(_ name: String, _ genpkey: String...) async throws -> (key: String, pub: String) {
            let r = try await ProcessRunner.run("/usr/bin/openssl", ["genpkey"] + genpkey + ["-out", dir.file("\(name).key.pem")], currentDirectory: dir.path)
            #expect(r.status == 0, "openssl genpkey: \(r.stderr)")
            try await openssl("pkey", "-in", dir.file("\(name).key.pem"), "-pubout", "-out", dir.file("\(name).pub.pem"))
            return (dir.file("\(name).key.pem"), dir.file("\(name).pub.pem"))
        }

        /// An access token for the client from requests-oauth2client (private_key_jwt, ES256).
        func token(client: String, keyFile: String, scope: String) async throws -> ProcessResult {
            let script = """
                import sys
                from jwskate import Jwk
                from requests_oauth2client import OAuth2Client, PrivateKeyJwt
                addr, client_id, key_file, scope = sys.argv[1:5]
                key = Jwk.from_pem(open(key_file, "rb").read()).with_kid_thumbprint()
                oauth = OAuth2Client(token_endpoint=addr + "/oauth/token", auth=PrivateKeyJwt(client_id, key, alg="ES256"), testing=True)
                print(oauth.client_credentials(scope=scope).access_token)
                """
            return try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, url, client, keyFile, scope], currentDirectory: dir.path)
        }
    }

    static func start() async throws -> Env {
        let dir = try TempDirectory("keyward-clients-cli")
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        return Env(dir: dir, server: p, url: url, env: ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(key)])
    }

    static func matches(_ s: String, _ pattern: String) -> Bool { s.range(of: pattern, options: .regularExpression) != nil }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The ```sh blocks of one README section (a `##` or `###` heading; by default "OAuth clients and short-lived
    /// tokens"): its walk-through, which ends at the section's next heading or at its "What it prints" (```text) block.
    static func readmeScript(section: String = "OAuth clients and short-lived tokens") throws -> String {
        let readme = try String(contentsOf: KeywardBinary.repositoryRoot().appendingPathComponent("README.md"), encoding: .utf8)
        let all = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(all.firstIndex { $0 == "## \(section)" || $0 == "### \(section)" }, "no README heading \(section)")
        var lines: [Substring] = []
        var inside = false
        for line in all[(start + 1)...] {
            if !inside && (line.hasPrefix("#") || line == "```text") { break }
            if line == "```sh" { inside = true; continue }
            if line == "```" { inside = false; continue }
            if inside { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }

    /// Runs a README section's shell blocks with `keyward` (this build) first on PATH, in the test folder.
    static func runReadme(_ e: Env, section: String = "OAuth clients and short-lived tokens") async throws -> ProcessResult {
        try await runReadme(in: e.dir, env: e.env, section: section)
    }

    static func runReadme(in dir: TempDirectory, env extra: [String: String], section: String) async throws -> ProcessResult {
        let bin = dir.file("bin"), tmp = dir.file("tmp")
        for d in [bin, tmp] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(atPath: bin + "/keyward", withDestinationPath: KeywardBinary.path())
        var env = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["TMPDIR"] = tmp
        env["KEYWARD_RULE_CACHE_DIR"] = KeywardBinary.ruleCache // a server the section starts finds the rules compiled
        return try await ProcessRunner.run("/bin/bash", ["-c", "set -euo pipefail\n" + (try Self.readmeScript(section: section))], environment: env,
                                           currentDirectory: dir.path)
    }

    @Test("the README's federated pipeline runs as written: a stand-in CI issuer, clients federate, the job's token exchanged and verified; the same token again and another branch's refused")
    func readmeFederation() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let r = try await Self.runReadme(e, section: "A pipeline with no secret: workload federation")
        #expect(r.status == 0, "the walk-through stopped: \(r.stderr.suffix(2_000))")
        let out = r.stdout
        #expect(out.contains("auth method    workload_federation") && out.contains("single use     yes"))
        #expect(out.contains("subject        repo:acme/payments:ref:refs/heads/main"))
        #expect(out.contains("\n200\n"))
        #expect(out.contains("valid: access token atk_") && out.contains("scopes deploy:write"))
        #expect(out.contains("{\"error\":\"invalid_grant\",\"error_description\":\"the workload token was already exchanged (single-use trust)\"}"))
        #expect(out.contains("{\"error\":\"invalid_grant\",\"error_description\":\"no active client trusts this workload (issuer and subject)\"}"))
        // Bad input exits 2 with the reason: a wildcard subject (the server's 422), a claim without NAME=.
        let idn = try await e.identity("wildcard-pipeline")
        let jwks = try #require(FileManager.default.subpathsOfDirectory(atPath: e.dir.file("tmp")).first { $0.hasSuffix("ci-issuer.jwks.json") })
        let base = ["clients", "federate", "--identity", idn, "--issuer", "https://ci.example.com", "--jwks", e.dir.file("tmp") + "/" + jwks,
                    "--audience", "aud", "--scope", "payments:read"]
        let wildcard = try await e.kw(base + ["--subject", "repo:acme/*"])
        #expect(wildcard.status == 2 && wildcard.stderr.contains("wildcard"), "\(wildcard.stderr)")
        let claim = try await e.kw(base + ["--subject", "repo:acme/app", "--claim", "=x"])
        #expect(claim.status == 2 && claim.stderr.contains("NAME=VALUE"), "\(claim.stderr)")
    }

    @Test("the README's mutual-TLS walk-through runs as written: test PKI, a TLS server, a tls_client_auth client's token bound to its certificate (cnf.x5t#S256), valid with the thumbprint, binding_mismatch without")
    func readmeMutualTLS() async throws {
        let dir = try TempDirectory("keyward-readme-mtls")
        defer { dir.remove() }
        await KeywardBinary.warmRuleCache()
        let r = try await Self.runReadme(in: dir, env: ["TLS_PORT": String(try PostgresServer.freePort())], section: "Mutual TLS OAuth clients (RFC 8705)")
        // The section stops its server by its PID; if it stopped early, stop what it left behind.
        let leftover = Self.processes(under: dir.path)
        for pid in leftover { kill(pid, SIGTERM) }
        #expect(r.status == 0, "the walk-through stopped: \(r.stdout.suffix(1_000)) \(r.stderr.suffix(2_000))")
        #expect(leftover.isEmpty, "the walk-through left its server running")
        let out = r.stdout
        #expect(out.contains("auth method        tls_client_auth") && out.contains("SAN DNS            orders.example.com"))
        #expect(out.contains("certificate-bound  yes") && out.contains("\n200\n"))
        let lines = out.split(separator: "\n")
        let cnf = lines.first { $0.hasPrefix("cnf.x5t#S256 ") }?.split(separator: " ").last
        let thumbprint = lines.first { $0.hasPrefix("orders.pem ") }?.split(separator: " ").last
        #expect(cnf.map { Self.matches(String($0), "^[A-Za-z0-9_-]{43}$") } == true, "\(out)")
        #expect(cnf != nil && cnf == thumbprint, "the token's cnf.x5t#S256 is the client certificate's SHA-256")
        #expect(Self.matches(out, "\"scopes\":\\[\"orders:read\"\\],\"token_id\":\"atk_[0-9a-f]{32}\",\"valid\":true\\}"))
        #expect(Self.matches(out, "\"reason\":\"binding_mismatch\",\"token_id\":\"atk_[0-9a-f]{32}\",\"valid\":false\\}"))
    }

    /// Processes whose working folder is inside `path` (what a script run there started and left behind).
    static func processes(under path: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard pid != getpid(), let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd == path || cwd.hasPrefix(path + "/")
        }
    }

    @Test("the README's OAuth walk-through runs as written: register from PEM, token from requests-oauth2client, verify, introspect, revoke, dead")
    func readmeWalkThrough() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let r = try await Self.runReadme(e)
        #expect(r.status == 0, "the walk-through stopped: \(r.stderr.suffix(2_000))")
        let out = r.stdout
        #expect(out.contains("private_key_jwt") && out.contains("live tokens  0"))
        #expect(out.contains("valid: ") && out.contains("scopes payments:read"))
        #expect(Self.matches(out, "\"token_id\":\"atk_[0-9a-f]{32}\",\"valid\":true"))
        #expect(out.contains("{\"active\":true,"))
        #expect(Self.matches(out, "revoked cli_[0-9a-f]{32}: 1 live access token revoked with it"))
        #expect(out.contains("invalid: revoked") && out.contains("exit 1") && out.contains("{\"active\":false}"))
    }

    @Test("create from a PEM public key, list, show, a token from requests-oauth2client verifies; revoking the client kills it and says how many died")
    func lifecycle() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.identity("checkout")
        let (key, pub) = try await e.keyPair("checkout", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")

        let cli = try await e.out("clients", "create", "-q", "--identity", idn, "--jwks", pub, "--scope", "payments:read", "--name", "checkout-worker")
        #expect(Self.matches(cli, "^cli_[0-9a-f]{32}$"))
        #expect(try await e.out("clients", "list", "--identity", idn, "-q") == cli)
        let table = try await e.out("clients", "list")
        #expect(table.contains(cli) && table.contains("active") && table.contains("checkout-worker"))

        let token = try await e.token(client: cli, keyFile: key, scope: "payments:read")
        #expect(token.status == 0, "requests-oauth2client: \(token.stderr.suffix(1_500))")
        let accessToken = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(accessToken.split(separator: ".").count == 3)

        let shown = try Self.json(try await e.out("clients", "show", cli, "--json"))
        #expect(shown["status"] as? String == "active" && shown["live_tokens"] as? Int == 1 && shown["scope"] as? String == "payments:read")
        let human = try await e.out("clients", "show", cli)
        #expect(human.contains("live tokens  1") && human.contains("ES256") && human.contains("private_key_jwt"))

        let valid = try await e.kw("keys", "verify", "-", "--scope", "payments:read", stdin: accessToken + "\n")
        #expect(valid.status == 0, "the fresh token verifies: \(valid.stdout) \(valid.stderr)")

        let revoked = try await e.kw("clients", "revoke", cli, "--reason", "key copied to a laptop")
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(revoked.stdout.contains("revoked \(cli): 1 live access token revoked with it"))
        let dead = try await e.kw("keys", "verify", "-", stdin: accessToken + "\n")
        #expect(dead.status == 1 && dead.stdout.contains("revoked"), "\(dead.stdout) \(dead.stderr)")
        let after = try Self.json(try await e.out("clients", "show", cli, "--json"))
        #expect(after["status"] as? String == "revoked" && after["revoke_reason"] as? String == "key copied to a laptop")
        // A revoked client gets no new token, and cannot be revoked twice.
        #expect(try await e.token(client: cli, keyFile: key, scope: "payments:read").status != 0)
        let twice = try await e.kw("clients", "revoke", cli)
        #expect(twice.status == 2 && twice.stderr.contains("409"))

        let audit = try await e.out("audit", "list", "--last", "10")
        #expect(audit.contains("client.registered") && audit.contains("client.revoked"))
        // Nothing printed or audited holds the private key or the token.
        let privatePEM = try String(contentsOfFile: key, encoding: .utf8)
        let body = privatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        for text in [table, human, audit, revoked.stdout, e.server.stdout, e.server.stderr] {
            #expect(!text.contains(String(body.prefix(40))) && !text.contains(accessToken))
        }
    }

    @Test("EC P-256, Ed25519 and RSA PEM public keys become JWKs whose kid is the server's RFC 7638 thumbprint; RSA needs --alg; JWK files get their alg")
    func keyFiles() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.identity("keys")
        let ec = try await e.keyPair("ec", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
        let ed = try await e.keyPair("ed", "-algorithm", "ED25519")
        let rsa = try await e.keyPair("rsa", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
        for (pub, alg, kty, extra) in [(ec.pub, "ES256", "EC", [String]()), (ed.pub, "EdDSA", "OKP", []), (rsa.pub, "PS256", "RSA", ["--alg", "PS256"])] {
            let r = try await e.kw(["clients", "create", "--json", "--identity", idn, "--jwks", pub, "--scope", "payments:read"] + extra)
            #expect(r.status == 0, "\(kty): \(r.stderr)")
            let keys = try #require(try Self.json(r.stdout)["keys"] as? [[String: Any]])
            #expect(keys.count == 1 && keys[0]["alg"] as? String == alg && keys[0]["kty"] as? String == kty)
            #expect(keys[0]["kid"] as? String == keys[0]["thumbprint"] as? String, "\(kty): the CLI's kid is the server's thumbprint")
        }
        let noAlg = try await e.kw("clients", "create", "--identity", idn, "--jwks", rsa.pub, "--scope", "payments:read")
        #expect(noAlg.status == 2 && noAlg.stderr.contains("--alg RS256 or --alg PS256"))

        // A single public JWK without alg (as jwskate writes it) is registered as ES256.
        let jwk = e.dir.file("ec.jwk.json")
        let ec2 = try await e.keyPair("ec2", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
        let pem = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", """
            import sys; from jwskate import Jwk; print(Jwk.from_pem(open(sys.argv[1], "rb").read()).public_jwk().to_json())
            """, ec2.key])
        #expect(pem.status == 0, "\(pem.stderr)")
        try pem.stdout.write(toFile: jwk, atomically: true, encoding: .utf8)
        let fromJWK = try await e.kw("clients", "create", "--json", "--identity", idn, "--jwks", jwk, "--scope", "payments:read")
        #expect(fromJWK.status == 0, "\(fromJWK.stderr)")
        #expect((try Self.json(fromJWK.stdout)["keys"] as? [[String: Any]])?.first?["alg"] as? String == "ES256")

        let rotated = try await e.out("oauth", "rotate-signing-key", "-q")
        #expect(Self.matches(rotated, "^sk_[0-9a-f]{32}$"))
        let published = try await ProcessRunner.run("/usr/bin/curl", ["-sf", e.url + "/.well-known/jwks.json"])
        #expect(published.stdout.contains(rotated), "the new key is published")
        #expect(published.stdout.components(separatedBy: "\"kid\"").count - 1 == 2, "the previous key stays published")
    }

    @Test("bad input exits 2 with a clear message: a private JWK or PEM (never echoed, nothing sent), an unknown identity (the server's 404), a malformed id")
    func badInput() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.identity("bad-input")
        let ec = try await e.keyPair("ec", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")

        // A JWK holding the private key `d`, made here from the generated key.
        let jwkFile = e.dir.file("private.jwk.json")
        let made = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", """
            import sys; from jwskate import Jwk; print(Jwk.from_pem(open(sys.argv[1], "rb").read()).to_json())
            """, ec.key])
        #expect(made.status == 0, "\(made.stderr)")
        try made.stdout.write(toFile: jwkFile, atomically: true, encoding: .utf8)
        let d = try #require(try Self.json(made.stdout)["d"] as? String)
        let privateJWK = try await e.kw("clients", "create", "--identity", idn, "--jwks", jwkFile, "--scope", "payments:read")
        #expect(privateJWK.status == 2)
        #expect(privateJWK.stderr.contains("holds a private key (JWK member \"d\")") && privateJWK.stderr.contains("Nothing was sent"))
        #expect(!privateJWK.stderr.contains(d) && !privateJWK.stdout.contains(d))

        let privatePEM = try await e.kw("clients", "create", "--identity", idn, "--jwks", ec.key, "--scope", "payments:read")
        #expect(privatePEM.status == 2 && privatePEM.stderr.contains("holds a private key"))
        let pemBody = try String(contentsOfFile: ec.key, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("-----") }
        for line in pemBody { #expect(!privatePEM.stderr.contains(line)) }
        #expect(try await e.out("clients", "list", "-q").isEmpty, "nothing was registered")

        let unknown = try await e.kw("clients", "create", "--identity", "idn_" + String(repeating: "0", count: 31) + "1", "--jwks", ec.pub,
                                     "--scope", "payments:read")
        #expect(unknown.status == 2 && unknown.stderr.contains("404") && unknown.stderr.contains("identity not found"), "\(unknown.stderr)")
        let outside = try await e.kw("clients", "create", "--identity", idn, "--jwks", ec.pub, "--scope", "payments:write")
        #expect(outside.status == 2 && outside.stderr.contains("422") && outside.stderr.contains("rule scopes.outside_allowed"), "\(outside.stderr)")

        let byName = try await e.kw("clients", "create", "--identity", "bad-input", "--jwks", ec.pub, "--scope", "payments:read")
        #expect(byName.status == 2 && byName.stderr.contains("--identity must be an identity id"))
        #expect(try await e.kw("clients", "show", "checkout").stderr.contains("CLIENT-ID must be a client id (cli_…)"))
        let notJSON = e.dir.file("notes.txt")
        try "hello".write(toFile: notJSON, atomically: true, encoding: .utf8)
        let garbage = try await e.kw("clients", "create", "--identity", idn, "--jwks", notJSON, "--scope", "payments:read")
        #expect(garbage.status == 2 && garbage.stderr.contains("expected a JWK set"))
        let missing = try await e.kw("clients", "show", "cli_" + String(repeating: "0", count: 32), "--json")
        #expect(missing.status == 2)
        let problem = (try Self.json(missing.stderr)["error"] as? [String: Any])?["problem"] as? [String: Any]
        #expect(problem?["status"] as? Int == 404)
    }
}
