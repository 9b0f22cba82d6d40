import Foundation
import KeywardTesting
import Testing

/// Issue 12: every setting goes through one reader — the flag, then the `KEYWARD_*` variable,
/// then the documented default — and is validated once at start, with one message whichever
/// of the two gave the bad value. Through the real binary.
@Suite("Settings: flags, then KEYWARD_* environment, then defaults", .serialized)
struct SettingsTests {
    /// No KEYWARD_* variable of the test run's own leaks into a case.
    static func run(_ args: [String], env: [String: String]) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.uppercased().hasPrefix("KEYWARD_") || $0.key == "KEYWARD_BIN" }
        environment.merge(env) { $1 }
        return try await ProcessRunner.run(KeywardBinary.path(), args, environment: environment)
    }

    @Test("serve: a flag wins over its variable, a variable over the default; a bad variable under a good flag is never read")
    func servePrecedence() async throws {
        let dir = try TempDirectory("keyward-settings")
        defer { dir.remove() }
        // KeywardBinary.serve passes --port 0, so KEYWARD_PORT (not a number) must not matter.
        let (fromEnv, envURL, _) = try await KeywardBinary.serve(dataDirectory: dir.file("data"),
                                                                 env: ["KEYWARD_HOST": "127.0.0.2", "KEYWARD_PORT": "not-a-number"])
        #expect(envURL.hasPrefix("http://127.0.0.2:"), "\(envURL)")
        #expect(fromEnv.stop(SIGTERM) == 0)

        let (fromFlag, flagURL, _) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), extraArgs: ["--host", "127.0.0.1"],
                                                                   env: ["KEYWARD_HOST": "127.0.0.2"])
        #expect(flagURL.hasPrefix("http://127.0.0.1:"), "\(flagURL)")
        #expect(fromFlag.stop(SIGTERM) == 0)

        let (byDefault, defaultURL, _) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), env: ["KEYWARD_HOST": nil])
        #expect(defaultURL.hasPrefix("http://127.0.0.1:"), "\(defaultURL)")
        #expect(byDefault.stop(SIGTERM) == 0)
    }

    @Test("a bad value in a KEYWARD_* variable exits 2 with the same message as the same value given to the flag")
    func badVariableSameAsFlag() async throws {
        let cases: [(flag: String, variable: String, value: String)] = [
            ("--usage-flush-seconds", "KEYWARD_USAGE_FLUSH_SECONDS", "0"),
            ("--max-staleness-ms", "KEYWARD_MAX_STALENESS_MS", "999"),
            ("--idle-timeout-seconds", "KEYWARD_IDLE_TIMEOUT_SECONDS", "0"),
            ("--max-connections-per-source", "KEYWARD_MAX_CONNECTIONS_PER_SOURCE", "0"),
            ("--report-quota-items", "KEYWARD_REPORT_QUOTA_ITEMS", "10"),
            ("--event-loops", "KEYWARD_EVENT_LOOPS", "5000"),
            ("--max-live-days", "KEYWARD_MAX_LIVE_DAYS", "3651"),
            ("--verify-environments", "KEYWARD_VERIFY_ENVIRONMENTS", "prod"),
            ("--quarantine-scopes", "KEYWARD_QUARANTINE_SCOPES", "not a scope"),
            ("--containment", "KEYWARD_CONTAINMENT", "live=explode"),
            ("--client-cert", "KEYWARD_CLIENT_CERT_MODE", "sometimes"),
            ("--log-level", "KEYWARD_LOG_LEVEL", "loud"),
        ]
        let base = ["serve", "--data-dir", "/nonexistent/keyward-settings"]
        for c in cases {
            let byFlag = try await Self.run(base + [c.flag, c.value], env: [:])
            let byVariable = try await Self.run(base, env: [c.variable: c.value])
            #expect(byFlag.status == 2, "\(c.flag): \(byFlag.stderr)")
            #expect(byVariable.status == 2, "\(c.variable): \(byVariable.stderr)")
            #expect(byVariable.stderr.contains(c.flag), "\(c.variable): \(byVariable.stderr)")
            #expect(byVariable.stderr == byFlag.stderr, "\(c.variable)")
        }
        // Not a number: ArgumentParser refuses the flag itself; the variable gets the range message.
        let word = try await Self.run(base, env: ["KEYWARD_IDLE_TIMEOUT_SECONDS": "soon"])
        #expect(word.status == 2)
        #expect(word.stderr.contains("--idle-timeout-seconds must be from 1 to 3600"), "\(word.stderr)")
        let port = try await Self.run(base, env: ["KEYWARD_PORT": "eighty"])
        #expect(port.status == 2)
        #expect(port.stderr.contains("KEYWARD_PORT must be a number"))
    }

    @Test("client commands: --addr wins over KEYWARD_ADDR; a bad KEYWARD_ADDR or half a client certificate exits 2 naming the variable")
    func clientPrecedence() async throws {
        // Nothing listens on these ports: the message names the address the command used.
        let fromEnv = try await Self.run(["identities", "list"], env: ["KEYWARD_ADDR": "http://127.0.0.1:9", "KEYWARD_TOKEN": "kw_test_x"])
        #expect(fromEnv.status == 2)
        #expect(fromEnv.stderr.contains("http://127.0.0.1:9"), "\(fromEnv.stderr)")
        let fromFlag = try await Self.run(["identities", "list", "--addr", "http://127.0.0.1:7"], env: ["KEYWARD_ADDR": "http://127.0.0.1:9"])
        #expect(fromFlag.status == 2)
        #expect(fromFlag.stderr.contains("http://127.0.0.1:7") && !fromFlag.stderr.contains(":9"), "\(fromFlag.stderr)")

        let badAddr = try await Self.run(["identities", "list"], env: ["KEYWARD_ADDR": "ftp://127.0.0.1"])
        #expect(badAddr.status == 2)
        #expect(badAddr.stderr.contains("KEYWARD_ADDR must be an http(s):// URL"))
        let halfCert = try await Self.run(["identities", "list"], env: ["KEYWARD_ADDR": "https://127.0.0.1:9", "KEYWARD_CLIENT_CERT": "/nonexistent.pem"])
        #expect(halfCert.status == 2)
        #expect(halfCert.stderr.contains("KEYWARD_CLIENT_CERT and KEYWARD_CLIENT_KEY go together"), "\(halfCert.stderr)")
    }

    @Test("an unknown variable named like a setting is ignored, with a warning naming it and the setting it resembles, never its value")
    func misspelledVariable() async throws {
        let secret = "kw_test_" + String(repeating: "q", count: 40)
        // --log-level loud stops serve after its settings are read: nothing starts.
        let r = try await Self.run(["serve", "--data-dir", "/nonexistent/keyward-settings", "--log-level", "loud"],
                                   env: ["KEYWARD_IDLE_TIMEOUT": "0", "keyward_usage_flush_seconds": "0", "KEYWARD_TOKN": secret,
                                         "KEYWARD_PACKAGE": "1"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--log-level must be one of"), "the misspelled variables were not read: \(r.stderr)")
        #expect(r.stderr.contains("KEYWARD_IDLE_TIMEOUT is not a Keyward setting and is ignored; did you mean KEYWARD_IDLE_TIMEOUT_SECONDS?"), "\(r.stderr)")
        #expect(r.stderr.contains("keyward_usage_flush_seconds is not a Keyward setting") && r.stderr.contains("KEYWARD_USAGE_FLUSH_SECONDS?"))
        #expect(r.stderr.contains("KEYWARD_TOKN is not a Keyward setting") && r.stderr.contains("KEYWARD_TOKEN?"))
        #expect(!r.stderr.contains("KEYWARD_PACKAGE"), "a variable like no setting is not warned about")
        #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret))
    }

    @Test("swift-configuration's access log (CONFIG_ACCESS_LOG_FILE) records the settings read but never KEYWARD_TOKEN's value")
    func accessLogRedactsToken() async throws {
        let dir = try TempDirectory("keyward-settings")
        defer { dir.remove() }
        let token = "kw_test_" + String(repeating: "z", count: 40)
        let log = dir.file("access.log")
        let r = try await Self.run(["identities", "list"], env: ["KEYWARD_ADDR": "http://127.0.0.1:9", "KEYWARD_TOKEN": token, "CONFIG_ACCESS_LOG_FILE": log])
        #expect(r.status == 2)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("token"), "the log names the setting: \(text)")
        #expect(!text.contains(token))
    }
}
