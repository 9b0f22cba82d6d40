import Foundation
import KeywardTesting
import Testing

/// Issue 15 from the command line: `keys rotate --quiet-period/--max-grace`, `keys rotation`
/// (table and `--json`), and consumers recognised by `--match-*` (create and update); bad
/// input exits 2 with a message.
@Suite("rotation from the CLI", .serialized)
struct RotationCLITests {
    @Test("keys rotation shows who migrated and who lags; consumers take match sources on create and update")
    func rotationView() async throws {
        let e = try await CLICompletenessTests.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.out("identities", "create", "-q", "--name", "orders", "--kind", "service", "--environment", "production",
                                  "--technical-owner", "bob@example.com", "--purpose", "orders", "--allowed-scope", "orders:read")
        let issued = try await e.out("keys", "create", "-q", "--identity", idn, "--scope", "orders:read", "--ttl", "30d").split(separator: " ").map(String.init)
        let (kid, v1) = (issued[0], issued[1])
        let csm = try await e.out("consumers", "create", "-q", "--name", "orders-worker", "--kind", "deployment", "--environment", "production",
                                  "--holds", kid, "--match-ip", "10.1.2.3")
        #expect(try await e.out("consumers", "show", csm).contains("ip=10.1.2.3"))
        let updated = try await e.out("consumers", "update", csm, "--match-user-agent", "orders/1", "--match-cert-subject", "CN=orders,O=Example")
        #expect(updated.contains("user_agent=orders/1") && updated.contains("cert_subject=CN=orders,O=Example") && !updated.contains("ip=10.1.2.3"))

        #expect(try await e.kw("keys", "rotation", kid).status == 2, "never rotated: 404, exit 2")
        let rotated = try await e.out("keys", "rotate", "-q", kid, "--grace", "1h", "--quiet-period", "5m", "--max-grace", "2h")
        #expect(rotated.hasPrefix(kid + " kw_live_"))
        // The CLI's own verify reports no source: the caller counts as the unidentified observed consumer.
        #expect(try await e.kw("keys", "verify", "-", stdin: v1 + "\n").status == 0)
        let table = try await e.out("keys", "rotation", kid)
        #expect(table.contains("1 → 2") && table.contains("open") && table.contains("300s"))
        #expect(table.contains("orders-worker (\(csm))") && table.contains("unseen"))
        #expect(table.contains("unidentified (no source reported)") && table.contains("lagging"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try await e.out("keys", "rotation", kid, "--json").utf8)) as? [String: Any])
        #expect(json["state"] as? String == "open" && json["quiet_period_seconds"] as? Int == 300)
        #expect((json["consumers"] as? [[String: Any]])?.count == 2)
        #expect(!table.contains(v1) && !(json.description.contains(v1)))

        // Bad input: exit 2 with a message, never a crash.
        let nothing = try await e.kw("consumers", "update", csm)
        #expect(nothing.status == 2 && nothing.stderr.contains("--clear-sources"))
        #expect(try await e.kw("keys", "rotation", "orders").status == 2)
        #expect(try await e.kw("keys", "rotate", kid, "--quiet-period", "0").status == 2)
        #expect(try await e.kw("consumers", "update", csm, "--match-ip", "").status == 2)
        #expect(try await e.out("consumers", "update", csm, "--clear-sources").contains(csm))
        let actions = try await e.out("audit", "list", "--last", "6")
        #expect(actions.contains("consumer.updated") && actions.contains("key.rotated"))
    }
}
