import Foundation
import KeywardAPI
import KeywardTesting
import Testing

/// Issue 15: `keyward identities privilege` and `keyward keys dormant`, the built binary against
/// a served instance. The binary runs on the real clock, so the keys are aged in the stopped
/// store (their `created_at` moved 8 days back with sqlite3) instead of waiting 8 days.
@Suite("keyward identities privilege and keys dormant", .serialized)
struct PrivilegeCLITests {
    @Test("privilege shows the proposal, --apply narrows the key (verify then says insufficient_scope), keys dormant lists the unused key; bad flags exit 2")
    func privilegeAndDormant() async throws {
        let sqlite = try #require(ProcessRunner.which("sqlite3"), "sqlite3 is not installed: run scripts/install.sh --test")
        let dir = try TempDirectory("keyward-cli-privilege")
        defer { dir.remove() }
        let (first, url, key) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        var server = first
        defer { server.stop() }
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(key)]
        func out(_ args: String...) async throws -> String {
            let r = try await KeywardBinary.run(args, env: env)
            #expect(r.status == 0, "\(args.prefix(3)): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        let idn = try await out("identities", "create", "-q", "--name", "orders-api", "--kind", "service", "--environment", "production",
                                "--technical-owner", "bob@example.com", "--purpose", "takes orders",
                                "--allowed-scope", "orders:read", "--allowed-scope", "orders:write", "--allowed-scope", "orders:refund")
        let issued = try await out("keys", "create", "-q", "--identity", idn, "--scope", "orders:read", "--scope", "orders:write", "--scope", "orders:refund")
        let parts = issued.split(separator: " ").map(String.init)
        let (wide, secret) = (parts[0], parts[1])
        let idle = try await out("keys", "create", "-q", "--identity", idn, "--scope", "orders:read").split(separator: " ").map(String.init)[0]
        _ = try await out("keys", "verify", secret, "--scope", "orders:read")
        _ = try await out("keys", "verify", secret, "--scope", "orders:write")

        // A fresh key has too little history for any window.
        #expect(try await out("identities", "privilege", idn, "--window-days", "1").contains("insufficient_history"))

        // Stop (a graceful stop flushes the usage), age the keys 8 days, start again on the same store.
        #expect(server.stop() == 0)
        let db = dir.file("data") + "/keyward.sqlite"
        let aged = try await ProcessRunner.run(sqlite, [db, "UPDATE api_keys SET created_at = created_at - 691200000 WHERE identity_id = '\(idn)'"])
        #expect(aged.status == 0, "\(aged.stderr)")
        let (second, url2, _) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        server = second
        let env2 = ["KEYWARD_ADDR": url2, "KEYWARD_TOKEN": env["KEYWARD_TOKEN"]!]
        func kw2(_ args: String...) async throws -> ProcessResult { try await KeywardBinary.run(args, env: env2) }

        let human = try await kw2("identities", "privilege", idn, "--window-days", "7")
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("observed") && human.stdout.contains("dormant") && human.stdout.contains("allowed, unused"))
        #expect(try await kw2("identities", "privilege", idn, "--window-days", "7", "-q").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == wide)
        let json = try await kw2("identities", "privilege", idn, "--window-days", "7", "--json")
        let p = try WireCoding.decoder().decode(IdentityPrivilegeResponse.self, from: Data(json.stdout.utf8))
        #expect(p.keys.first { $0.keyId == wide }?.proposedScopes == ["orders:read", "orders:write"])

        let applied = try await kw2("identities", "privilege", idn, "--window-days", "7", "--apply", "--yes")
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains(wide) && applied.stdout.contains("observed"))
        let refused = try await kw2("keys", "verify", secret, "--scope", "orders:refund")
        #expect(refused.status == 1 && refused.stdout.contains("insufficient_scope"))
        #expect(try await kw2("keys", "verify", secret, "--scope", "orders:read").status == 0)
        #expect(try await kw2("identities", "privilege", idn, "--window-days", "7", "--apply", "--yes").stdout.contains("nothing to narrow"))

        let dormant = try await kw2("keys", "dormant", "--days", "7", "-q")
        #expect(dormant.status == 0 && dormant.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == idle, "\(dormant.stdout) \(dormant.stderr)")
        let table = try await kw2("keys", "dormant", "--days", "7")
        #expect(table.stdout.contains("bob@example.com") && table.stdout.contains("never"))

        for args in [["keys", "dormant", "--days", "0"], ["identities", "privilege", "orders-api"], ["identities", "privilege", idn, "--window-days", "400"],
                     ["identities", "privilege", idn, "--key", wide]] {
            let r = try await KeywardBinary.run(args, env: env2)
            #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
        }
    }
}
