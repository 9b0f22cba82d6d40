import Foundation
import KeywardTesting
import Testing

/// Runs the built `keyward` binary against a `keyward serve` it starts (real process, real socket).
@Suite("CLI against a running server", .serialized)
struct CLITourTests {
    struct Env {
        let dir: TempDirectory
        let server: BackgroundProcess
        let url: String
        let token: String
        var env: [String: String] { ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": token] }

        func kw(_ args: String..., stdin: String? = nil) async throws -> ProcessResult {
            try await KeywardBinary.run(args, env: env, stdin: stdin)
        }

        func json(_ args: String...) async throws -> [String: Any] {
            let r = try await KeywardBinary.run(args + ["--json"], env: env)
            guard r.status == 0 else { throw POSIXError(.EIO) }
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    static func start() async throws -> Env {
        let dir = try TempDirectory("keyward-cli")
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        return Env(dir: dir, server: p, url: url, token: try #require(key))
    }

    @Test("the README tour: create an identity, issue, verify, rotate, revoke, verify again, audit verify")
    func tour() async throws {
        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try await e.json("identities", "create", "--name", "payments-api", "--kind", "service", "--environment", "production",
                             "--technical-owner", "alice@example.com", "--business-owner", "payments", "--purpose", "charges cards",
                             "--allowed-scope", "payments:read", "--allowed-scope", "payments:write")
        let idnID = try #require(idn["id"] as? String)
        let issued = try await e.json("keys", "create", "--identity", idnID, "--scope", "payments:read", "--ttl", "30d")
        let key = try #require(issued["key"] as? String)
        let keyID = try #require(issued["id"] as? String)

        let ok = try await e.kw("keys", "verify", "--scope", "payments:read", stdin: key + "\n")
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("valid"))

        let rotated = try await e.json("keys", "rotate", keyID, "--grace", "0")
        #expect(rotated["version"] as? Int == 2)
        let newKey = try #require(rotated["key"] as? String)
        let old = try await e.kw("keys", "verify", key)
        #expect(old.status == 1)
        #expect(old.stdout.contains("rotated"))
        #expect(try await e.kw("keys", "verify", newKey).status == 0)

        let revoked = try await e.kw("keys", "revoke", keyID, "--reason", "tour")
        #expect(revoked.status == 0)
        let after = try await e.kw("keys", "verify", newKey)
        #expect(after.status == 1)
        #expect(after.stdout.contains("revoked"))

        let list = try await e.kw("keys", "list")
        #expect(list.status == 0)
        #expect(list.stdout.contains(keyID))
        #expect(list.stdout.contains("revoked"))
        let shown = try await e.kw("identities", "show", idnID)
        #expect(shown.stdout.contains("alice@example.com"))
        let listed = try await e.kw("identities", "list", "--environment", "production")
        #expect(listed.stdout.contains("payments-api"))

        let audit = try await e.kw("audit", "verify", "--data-dir", e.dir.file("data"))
        #expect(audit.status == 0)
        #expect(audit.stdout.contains("audit chain ok"))

        // case 57 of docs/security-cases.md: while the server runs, its WAL and a backup (sqlite3 .backup) hold no plaintext either.
        let backup = e.dir.file("backup.sqlite")
        #expect(try await ProcessRunner.run("/usr/bin/sqlite3", [e.dir.file("data/keyward.sqlite"), ".backup '\(backup)'"]).status == 0)
        let live = ["data/keyward.sqlite-wal", "backup.sqlite"].map { FileManager.default.contents(atPath: e.dir.file($0)) ?? Data() }
        #expect(live.allSatisfy { !$0.isEmpty })
        for k in [key, newKey, e.token] { for d in live { #expect(d.range(of: Data(k.utf8)) == nil) } }

        // Graceful shutdown on SIGTERM.
        #expect(e.server.stop(SIGTERM) == 0)
        // No plaintext in the database, WAL or the server's log output.
        for k in [key, newKey, e.token] {
            for f in ["data/keyward.sqlite", "data/keyward.sqlite-wal"] {
                let d = FileManager.default.contents(atPath: e.dir.file(f)) ?? Data()
                #expect(d.range(of: Data(k.utf8)) == nil)
            }
            #expect(!e.server.stderr.contains(k))
        }
        // One allow-listed line per request, in swift-log's stream format, from the router and the fast path alike.
        let lines = e.server.stderr.split(separator: "\n")
        let verified = #"^\S+ info keyward: method=POST (path=fast )?request_id=[0-9a-f]+ route=/v1/keys/verify status=200 \[KeywardServer\] request$"#
        #expect(lines.contains { $0.range(of: verified, options: .regularExpression) != nil }, "\(e.server.stderr)")
        let routed = #"^\S+ info keyward: method=POST ms=[0-9]+\.[0-9]{2} request_id=\S+ route=/v1/identities status=201 \[KeywardServer\] request$"#
        #expect(lines.contains { $0.range(of: routed, options: .regularExpression) != nil }, "\(e.server.stderr)")
    }

    @Test("exit 2 with a one-line message for bad flags, bad values, an unreachable server or a missing token")
    func errors() async throws {
        let bad = try await KeywardBinary.run(["keys", "create", "--no-such-flag"])
        #expect(bad.status == 2)
        #expect(!bad.stderr.isEmpty)
        #expect(try await KeywardBinary.run(["frobnicate"]).status == 2)
        #expect(try await KeywardBinary.run(["serve", "--port", "99999"]).status == 2)
        #expect(try await KeywardBinary.run(["serve", "--log-level", "loud"]).status == 2)
        let unreachable = try await KeywardBinary.run(["identities", "list"], env: ["KEYWARD_ADDR": "http://127.0.0.1:1", "KEYWARD_TOKEN": "x"])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("cannot reach"))
        #expect(unreachable.stderr.split(separator: "\n").count == 1)
        let badAddr = try await KeywardBinary.run(["identities", "list"], env: ["KEYWARD_ADDR": "ftp://x"])
        #expect(badAddr.status == 2)
        #expect(try await KeywardBinary.run(["--help"]).status == 0)
        #expect(try await KeywardBinary.run(["audit", "verify", "--data-dir", "/nonexistent/keyward"]).status == 2)

        let e = try await Self.start()
        defer { e.server.stop(); e.dir.remove() }
        let noToken = try await KeywardBinary.run(["identities", "list"], env: ["KEYWARD_ADDR": e.url, "KEYWARD_TOKEN": ""])
        #expect(noToken.status == 2)
        #expect(noToken.stderr.contains("401"))
        let refused = try await e.kw("keys", "create", "--identity", "idn_00000000000000000000000000000000", "--scope", "payments:read")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("422"))
        let bogus = try await e.kw("keys", "verify", "kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1X")
        #expect(bogus.status == 1)
        #expect(bogus.stdout.contains("malformed"))
    }
}
