import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore
import KeywardServer
import KeywardVerify
import Logging
import NIOCore
import ServiceLifecycle

/// `keyward serve`: the HTTP server on the embedded SQLite default or PostgreSQL.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Keyward server (SQLite in --data-dir by default, or --database postgres://…)."
    )

    @Option(name: .long, help: "Data folder for the SQLite store and key files (default $KEYWARD_DATA_DIR or ./keyward-data).")
    var dataDir: String?
    @Option(name: .long, help: "postgres://user@host:port/db or sqlite:PATH (default $KEYWARD_DATABASE_URL; SQLite in the data folder).")
    var database: String?
    @Option(name: .long, help: "Listen address (default $KEYWARD_HOST or 127.0.0.1).")
    var host: String?
    @Option(name: .long, help: "Listen port, 0 for any free port (default $KEYWARD_PORT or 8080).")
    var port: Int?
    @Option(name: .long, help: "HMAC key file, ≥ 32 bytes (default $KEYWARD_HMAC_KEY_FILE or <data-dir>/hmac.key, generated).")
    var hmacKeyFile: String?
    @Option(name: .long, help: "Ed25519 audit signing key file (default <data-dir>/audit-signing.key, generated).")
    var auditSigningKeyFile: String?
    @Option(name: .long, help: "Key environments verify accepts: live,test (default) or live.")
    var verifyEnvironments: String?
    @Option(name: .long, help: "Maximum lifetime of live keys in days (default 90).")
    var maxLiveDays: Int?
    @Option(name: .long, help: "Maximum lifetime of test keys in days (default 30).")
    var maxTestDays: Int?
    @Option(name: .long, help: "Default key lifetime in days (default 30).")
    var defaultLifetimeDays: Int?
    @Flag(name: .long, help: "Refuse non-expiring keys even with a policy exception.")
    var noPolicyExceptions = false
    @Option(name: .long, help: "PEM certificate chain: serve HTTPS (with --tls-key; default $KEYWARD_TLS_CERT).")
    var tlsCert: String?
    @Option(name: .long, help: "PEM private key for --tls-cert (default $KEYWARD_TLS_KEY).")
    var tlsKey: String?
    @Option(name: .long, help: "PEM CA bundle for client certificates: mutual TLS (default $KEYWARD_CLIENT_CA).")
    var clientCa: String?
    @Option(name: .long, help: "With --client-ca: required (default) refuses connections without a client certificate; optional verifies one only when presented.")
    var clientCert: String?
    @Option(name: .long, help: "Containment rules tried before the defaults, [source:]environment=action,… e.g. paste:test=notify (default $KEYWARD_CONTAINMENT; defaults live=revoke,test=quarantine).")
    var containment: String?
    @Option(name: .long, help: "Scopes a quarantined key may still use, comma-separated (default $KEYWARD_QUARANTINE_SCOPES; none).")
    var quarantineScopes: String?
    @Option(name: .long, help: "GitHub secret-scanning partner public keys, in GitHub's JSON format (default $KEYWARD_GITHUB_KEYS_FILE; partner reports refused).")
    var githubKeysFile: String?
    @Option(name: .long, help: "Compiled scanner-rule cache, shared with keyward scan; 'none' compiles at every start (default $KEYWARD_RULE_CACHE_DIR or ~/.cache/keyward).")
    var ruleCacheDir: String?
    @Flag(name: .long, help: "Accept plaintext leak intelligence from this host over plain HTTP (default $KEYWARD_ACCEPT_PLAINTEXT_FROM_LOOPBACK=1 or off: only over TLS).")
    var acceptPlaintextFromLoopback = false
    @Option(name: .long, help: "Exposure items one reporter key may send an hour; a quarter of it at once (default $KEYWARD_REPORT_QUOTA_ITEMS or 20000).")
    var reportQuotaItems: Int?
    @Option(name: .long, help: "How often verify telemetry (last use, outcomes, sources, scopes) is written to the store, in seconds (default $KEYWARD_USAGE_FLUSH_SECONDS or 5).")
    var usageFlushSeconds: Int?
    @Option(name: .long, help: "Milliseconds the key index may lag the PostgreSQL change feed before verify answers 503 and /readyz turns 503 (default $KEYWARD_MAX_STALENESS_MS or 2000).")
    var maxStalenessMs: Int?
    @Option(name: .long, help: "Event-loop threads (default $KEYWARD_EVENT_LOOPS, or one per CPU this process may run on).")
    var eventLoops: Int?
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error (default $KEYWARD_LOG_LEVEL or info).")
    var logLevel: String?
    // Slow and greedy clients (issue 10 item 3); defaults in ConnectionLimits.
    @Option(name: .long, help: "Close a connection with no request in progress after this many seconds (default $KEYWARD_IDLE_TIMEOUT_SECONDS or 75; keep it above a load balancer's idle timeout).")
    var idleTimeoutSeconds: Int?
    @Option(name: .long, help: "Seconds from a request's first byte until its whole head has arrived (default $KEYWARD_HEAD_TIMEOUT_SECONDS or 10).")
    var headTimeoutSeconds: Int?
    @Option(name: .long, help: "Seconds from a request's head until its whole body has arrived (default $KEYWARD_BODY_TIMEOUT_SECONDS or 30).")
    var bodyTimeoutSeconds: Int?
    @Option(name: .long, help: "Open connections at most; more are closed at once (default $KEYWARD_MAX_CONNECTIONS or 8192, lowered to fit the open-file limit).")
    var maxConnections: Int?
    @Option(name: .long, help: "Open connections at most from one IPv4 address or IPv6 /64 (default $KEYWARD_MAX_CONNECTIONS_PER_SOURCE or 1024).")
    var maxConnectionsPerSource: Int?

    /// `--event-loops` / KEYWARD_EVENT_LOOPS; nil when neither is given.
    func eventLoopCount() throws -> Int? {
        guard let raw = eventLoops.map(String.init) ?? ProcessInfo.processInfo.environment["KEYWARD_EVENT_LOOPS"] else { return nil }
        guard let v = Int(raw), (1...1_024).contains(v) else { throw CLIExit.error("--event-loops must be from 1 to 1024") }
        return v
    }

    func configuration() throws -> (ServerConfiguration, Logger.Level) {
        let env = ProcessInfo.processInfo.environment
        var c = ServerConfiguration()
        c.dataDirectory = dataDir ?? env["KEYWARD_DATA_DIR"] ?? c.dataDirectory
        c.databaseURL = database ?? env["KEYWARD_DATABASE_URL"]
        c.host = host ?? env["KEYWARD_HOST"] ?? c.host
        if let p = port ?? env["KEYWARD_PORT"].flatMap(Int.init) { c.port = p } else if env["KEYWARD_PORT"] != nil {
            throw CLIExit.error("KEYWARD_PORT must be a number")
        }
        c.hmacKeyFile = hmacKeyFile ?? env["KEYWARD_HMAC_KEY_FILE"]
        c.auditSigningKeyFile = auditSigningKeyFile ?? env["KEYWARD_AUDIT_SIGNING_KEY_FILE"]
        if let v = verifyEnvironments ?? env["KEYWARD_VERIFY_ENVIRONMENTS"] {
            let envs = v.split(separator: ",").map { KeyEnvironment(rawValue: String($0).trimmingCharacters(in: .whitespaces)) }
            guard !envs.isEmpty, envs.allSatisfy({ $0 != nil }) else { throw CLIExit.error("--verify-environments takes live, test or live,test") }
            c.verifyEnvironments = Set(envs.compactMap { $0 })
        }
        for (v, name) in [(maxLiveDays, "--max-live-days"), (maxTestDays, "--max-test-days"), (defaultLifetimeDays, "--default-lifetime-days")] {
            if let v, !(1...3650).contains(v) { throw CLIExit.error("\(name) must be from 1 to 3650") }
        }
        if let d = maxLiveDays { c.policy.maxLifetime[.live] = TimeInterval(d) * 86_400 }
        if let d = maxTestDays { c.policy.maxLifetime[.test] = TimeInterval(d) * 86_400 }
        if let d = defaultLifetimeDays { c.policy.defaultLifetime = TimeInterval(d) * 86_400 }
        if noPolicyExceptions { c.policy.allowExceptions = false }
        c.tlsCertificateFile = tlsCert ?? env["KEYWARD_TLS_CERT"]
        c.tlsKeyFile = tlsKey ?? env["KEYWARD_TLS_KEY"]
        c.clientCAFile = clientCa ?? env["KEYWARD_CLIENT_CA"]
        if let rules = containment ?? env["KEYWARD_CONTAINMENT"] {
            do {
                c.containment = ContainmentPolicy(rules: try ContainmentPolicy.parseRules(rules, sources: Set(ExposureReport.Source.allCases.map(\.rawValue))))
            } catch let e as KeywardError { throw CLIExit.error("--containment: \(e.message)") }
        }
        if let q = quarantineScopes ?? env["KEYWARD_QUARANTINE_SCOPES"] {
            let scopes = q.split(separator: ",").map { Scope(String($0).trimmingCharacters(in: .whitespaces)) }
            guard scopes.allSatisfy({ $0 != nil }) else { throw CLIExit.error("--quarantine-scopes takes comma-separated scopes like payments:read") }
            c.verifier.quarantineScopes = Set(scopes.compactMap { $0 })
        }
        c.githubKeysFile = githubKeysFile ?? env["KEYWARD_GITHUB_KEYS_FILE"]
        if let raw = usageFlushSeconds.map(String.init) ?? env["KEYWARD_USAGE_FLUSH_SECONDS"] {
            guard let v = Int(raw), (1...3_600).contains(v) else { throw CLIExit.error("--usage-flush-seconds must be from 1 to 3600") }
            c.usageFlushInterval = .seconds(v)
        }
        if let raw = maxStalenessMs.map(String.init) ?? env["KEYWARD_MAX_STALENESS_MS"] {
            guard let v = Int(raw), (1_000...3_600_000).contains(v) else { throw CLIExit.error("--max-staleness-ms must be from 1000 to 3600000") }
            c.maxStaleness = .milliseconds(v)
        }
        func integer(_ flag: Int?, _ name: String, _ variable: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = flag.map(String.init) ?? env[variable] else { return nil }
            guard let v = Int(raw), range.contains(v) else { throw CLIExit.error("\(name) must be from \(range.lowerBound) to \(range.upperBound)") }
            return v
        }
        for (flag, name, variable, path) in [
            (idleTimeoutSeconds, "--idle-timeout-seconds", "KEYWARD_IDLE_TIMEOUT_SECONDS", \ConnectionLimits.idleTimeout),
            (headTimeoutSeconds, "--head-timeout-seconds", "KEYWARD_HEAD_TIMEOUT_SECONDS", \ConnectionLimits.headTimeout),
            (bodyTimeoutSeconds, "--body-timeout-seconds", "KEYWARD_BODY_TIMEOUT_SECONDS", \ConnectionLimits.bodyTimeout),
        ] {
            if let v = try integer(flag, name, variable, 1...3_600) { c.connections[keyPath: path] = .seconds(v) }
        }
        if let v = try integer(maxConnections, "--max-connections", "KEYWARD_MAX_CONNECTIONS", 1...1_000_000) { c.connections.maxConnections = v }
        if let v = try integer(maxConnectionsPerSource, "--max-connections-per-source", "KEYWARD_MAX_CONNECTIONS_PER_SOURCE", 1...1_000_000) {
            c.connections.maxConnectionsPerSource = v
        }
        c.ruleCacheDirectory = ScanCommand.cacheDirectory(ruleCacheDir ?? env["KEYWARD_RULE_CACHE_DIR"], env: env)
        c.acceptPlaintextFromLoopback = acceptPlaintextFromLoopback || ["1", "true", "yes"].contains(env["KEYWARD_ACCEPT_PLAINTEXT_FROM_LOOPBACK"]?.lowercased() ?? "")
        if let raw = reportQuotaItems.map(String.init) ?? env["KEYWARD_REPORT_QUOTA_ITEMS"] {
            guard let v = Int(raw), (1_000...10_000_000).contains(v) else { throw CLIExit.error("--report-quota-items must be from 1000 to 10000000") }
            c.reporterQuota.itemsPerHour = v
            c.reporterQuota.itemBurst = max(1_000, v / 4)
        }
        switch clientCert ?? env["KEYWARD_CLIENT_CERT_MODE"] {
        case nil, "required": c.clientCertificateRequired = true
        case "optional": c.clientCertificateRequired = false
        default: throw CLIExit.error("--client-cert must be required or optional")
        }
        let levelName = logLevel ?? env["KEYWARD_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else { throw CLIExit.error("--log-level must be one of trace, debug, info, notice, warning, error") }
        do { try c.validate() } catch let e as KeywardError { throw CLIExit.error(e.message) }
        return (c, level)
    }

    /// Unbuffered stdout, so a supervisor or test reading the pipe sees each line at once.
    static func say(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }

    func run() async throws {
        let (config, level) = try configuration()
        Self.prepareProcess()
        OpenFileLimit.raise() // one descriptor per connection; see ConnectionLimits.maxConnections
        let loops = CPUSet.eventLoops(configured: try eventLoopCount())
        var logger = Logger(label: "keyward") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        if let loops {
            // Sizes NIO's shared group, which the HTTP server, the store's connections and the
            // webhook client all use; this process sets it once, before any of them starts.
            NIOSingletons.groupLoopCountSuggestion = loops
            logger.info("event loops", metadata: ["count": "\(loops)"])
        }
        let runtime: KeywardRuntime
        let secret: Secret?
        do {
            (runtime, secret) = try await KeywardRuntime.start(config, logger: logger)
        } catch let e as KeywardError {
            throw CLIExit.error(e.message)
        } catch {
            throw CLIExit.error("cannot start: \(error)")
        }
        if let secret {
            // Printed once, like Vault's root token; only its SHA-256 is stored.
            Self.say("""
                Keyward initialised a new store. Admin key (shown once, store it now):

                    \(secret.reveal())

                export KEYWARD_TOKEN=<the key above>

                """)
        }
        do {
            let group = try runtime.makeServiceGroup(signals: true) { port in
                Self.say("keyward: listening on \(config.scheme)://\(config.host):\(port)\n")
            }
            try await group.run()
        } catch {
            await runtime.shutdown()
            throw CLIExit.error("server stopped: \(error)")
        }
        await runtime.shutdown()
    }
}
