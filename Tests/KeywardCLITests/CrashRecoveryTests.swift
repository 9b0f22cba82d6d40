import Foundation
import KeywardTesting
import Testing

// case 68 of docs/security-cases.md: kill -9 during issue, rotate and revoke (SQLite WAL, synchronous=FULL).
@Suite("Crash recovery", .serialized)
struct CrashRecoveryTests {
    @Test("after kill -9 mid-writes: integrity_check ok, chain valid, no half-rotated key")
    func killNine() async throws {
        let dir = try TempDirectory("keyward-crash")
        defer { dir.remove() }
        let data = dir.file("data")
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: data, extraArgs: ["--log-level", "warning"])
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(key)]
        let idn = try await KeywardBinary.run(["identities", "create", "--name", "svc", "--kind", "service", "--environment", "prod",
                                         "--technical-owner", "ops", "--purpose", "p", "--allowed-scope", "a:read", "--json"], env: env)
        let idnID = try #require((try JSONSerialization.jsonObject(with: Data(idn.stdout.utf8)) as? [String: Any])?["id"] as? String)
        // A writer process issuing, rotating and revoking in a loop, killed with the server mid-flight.
        let script = """
            set -u
            while true; do
              id=$("$KW" keys create --identity \(idnID) --scope a:read --json 2>/dev/null | sed -n 's/.*"id" : "\\(key_[0-9a-f]*\\)".*/\\1/p')
              [ -n "$id" ] || exit 0
              "$KW" keys rotate "$id" --grace 60 >/dev/null 2>&1 || exit 0
              "$KW" keys revoke "$id" --reason crash >/dev/null 2>&1 || exit 0
            done
            """
        var wenv = ProcessInfo.processInfo.environment
        wenv.merge(env) { $1 }
        wenv["KW"] = KeywardBinary.path()
        let writer = try BackgroundProcess("/bin/sh", ["-c", script], environment: wenv, logDirectory: dir.path)
        // Killed mid-writes: once a few rotate/revoke rounds have committed, while the loop goes on.
        // Bounded poll: the writes are another process's.
        let written = await eventually(timeout: .seconds(60)) {
            let n = try? await ProcessRunner.run("/usr/bin/sqlite3", [data + "/keyward.sqlite", "SELECT count(*) FROM api_keys WHERE status = 'revoked'"])
            return (Int(n?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0) >= 3
        }
        #expect(written != nil, "the writers committed nothing")
        #expect(p.stop(SIGKILL) == 128 + SIGKILL)
        _ = writer.stop(SIGTERM)

        let integrity = try await ProcessRunner.run("/usr/bin/sqlite3", [data + "/keyward.sqlite", "PRAGMA integrity_check"])
        #expect(integrity.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        let halfRotated = try await ProcessRunner.run("/usr/bin/sqlite3", [data + "/keyward.sqlite",
            "SELECT count(*) FROM api_keys k WHERE k.current_version != (SELECT max(version) FROM api_key_versions v WHERE v.key_id = k.id) OR NOT EXISTS (SELECT 1 FROM api_key_versions v WHERE v.key_id = k.id)"])
        #expect(halfRotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let keys = try await ProcessRunner.run("/usr/bin/sqlite3", [data + "/keyward.sqlite", "SELECT count(*) FROM api_keys"])
        #expect((Int(keys.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 1)
        #expect(try await KeywardBinary.run(["audit", "verify", "--data-dir", data]).status == 0)

        // The server restarts on the same folder and serves what was committed.
        let (p2, url2, again) = try await KeywardBinary.serve(dataDirectory: data)
        defer { p2.stop() }
        #expect(again == nil) // not a new store: no second admin key
        let list = try await KeywardBinary.run(["keys", "list", "--limit", "500"], env: ["KEYWARD_ADDR": url2, "KEYWARD_TOKEN": env["KEYWARD_TOKEN"]!])
        #expect(list.status == 0)
    }
}
