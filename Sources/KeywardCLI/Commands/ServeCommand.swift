import ArgumentParser
import Foundation
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
    @Option(name: .long, help: "Ed25519 audit signing key file (default $KEYWARD_AUDIT_SIGNING_KEY_FILE or <data-dir>/audit-signing.key, generated).")
    var auditSigningKeyFile: String?
    @Option(name: .long, help: "Key environments verify accepts: live,test or live (default $KEYWARD_VERIFY_ENVIRONMENTS or live,test).")
    var verifyEnvironments: String?
    @Option(name: .long, help: "Maximum lifetime of live keys in days (default $KEYWARD_MAX_LIVE_DAYS or 90).")
    var maxLiveDays: Int?
    @Option(name: .long, help: "Maximum lifetime of test keys in days (default $KEYWARD_MAX_TEST_DAYS or 30).")
    var maxTestDays: Int?
    @Option(name: .long, help: "Default key lifetime in days (default $KEYWARD_DEFAULT_LIFETIME_DAYS or 30).")
    var defaultLifetimeDays: Int?
    @Flag(name: .long, help: "Refuse non-expiring keys even with a policy exception (or $KEYWARD_NO_POLICY_EXCEPTIONS=1).")
    var noPolicyExceptions = false
    @Option(name: .long, help: "PEM certificate chain: serve HTTPS (with --tls-key; default $KEYWARD_TLS_CERT).")
    var tlsCert: String?
    @Option(name: .long, help: "PEM private key for --tls-cert (default $KEYWARD_TLS_KEY).")
    var tlsKey: String?
    @Option(name: .long, help: "PEM CA bundle for client certificates: mutual TLS (default $KEYWARD_CLIENT_CA).")
    var clientCa: String?
    @Option(name: .long, help: "With --client-ca: required (default) refuses connections without a client certificate; optional verifies one only when presented (default $KEYWARD_CLIENT_CERT_MODE).")
    var clientCert: String?
    @Flag(name: .long, help: "Accept self-signed TLS client certificates: self_signed_tls_client_auth clients (RFC 8705 §2.2) registered with them (or $KEYWARD_SELF_SIGNED_CLIENT_CERTS=1).")
    var selfSignedClientCerts = false
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
    @Option(name: .long, help: "OAuth issuer: the URL clients reach this server at; tokens name it and DPoP proofs are checked against it. Every node of a cluster needs the same (default $KEYWARD_ISSUER or <scheme>://<host>:<port> as it listens).")
    var issuer: String?
    @Flag(name: .customLong("dpop-nonce"), help: "Require DPoP server nonces at the token endpoint (RFC 9449 §8; default $KEYWARD_DPOP_NONCE=1 or off).")
    var dpopNonce = false
    @Option(name: .long, help: "Lifetime of the access tokens /oauth/token issues, 60 to 3600 seconds: short-lived by design (default $KEYWARD_TOKEN_LIFETIME_SECONDS or 300).")
    var tokenLifetimeSeconds: Int?
    @Option(name: .long, help: "A host a client's jwks_uri may name: exact (jwks.example.com, 127.0.0.1) or a .domain suffix; repeatable. Loopback and private addresses only for a host named exactly (default $KEYWARD_JWKS_ALLOW, comma-separated, or none: jwks_uri refused).")
    var jwksAllow: [String] = []
    @Option(name: .long, help: "Milliseconds a jwks_uri fetch may take in all, 100 to 60000 (default $KEYWARD_JWKS_TIMEOUT_MS or 5000).")
    var jwksTimeoutMs: Int?
    @Option(name: .long, help: "A gateway allowed to call /v1/authz, as an address or CIDR (10.0.0.0/8); only its X-Forwarded-* headers are believed; repeatable (default $KEYWARD_AUTHZ_TRUSTED_PROXY, comma-separated, or none: /v1/authz answers 403).")
    var authzTrustedProxy: [String] = []
    @Option(name: .long, help: "A header carrying an API key for /v1/authz when Authorization has none, e.g. X-API-Key (default $KEYWARD_AUTHZ_KEY_HEADER or none).")
    var authzKeyHeader: String?
    @Option(name: .long, help: "Scopes /v1/authz requires for matching requests, \"METHOD PATH=scope[,scope]\": METHOD or *, PATH exact or a prefix ending in *; first match wins, no match needs only a valid credential; repeatable (default $KEYWARD_AUTHZ_ROUTE, ;-separated, or none).")
    var authzRoute: [String] = []
    @Option(name: .long, help: "Rate limits over the defaults: off, or comma-separated [live:|test:]key|identity|source|failure|routes=LIMIT/SECONDS[:BURST] (source, failure, routes may be off), e.g. key=100/1:200,failure=10/60 (default $KEYWARD_RATE_LIMIT; defaults in the README).")
    var rateLimit: String?
    @Option(name: .long, help: "Shared rate-limit store for a cluster: redis://[:password@]host:port[/db] (default $KEYWARD_RATE_LIMIT_STORE; none: each node limits alone).")
    var rateLimitStore: String?
    @Option(name: .long, help: "When the shared rate-limit store cannot answer: open falls back to this node's limiter, closed refuses with 503 (default $KEYWARD_RATE_LIMIT_STORE_FAILURE or open).")
    var rateLimitStoreFailure: String?
    @Option(name: .long, help: "What each abuse detector does: off, or comma-separated [live:|test:]DETECTOR=notify|block|quarantine|off and block_seconds=N; detectors: enumeration, brute_force, volume_spike, volume_climb, new_source, scope_probing, object_enumeration, human_use (default $KEYWARD_DETECT; enumeration=block, the rest notify, block_seconds=3600).")
    var detect: String?
    @Option(name: .long, help: "A rotation's grace window closes early once the old version has been unused this many seconds, 1 to 604800 (default $KEYWARD_ROTATION_QUIET_PERIOD_SECONDS or 900; per rotation: quiet_period_seconds).")
    var rotationQuietPeriodSeconds: Int?
    @Option(name: .long, help: "Owners confirm each identity every this many days, 1 to 3650 (default $KEYWARD_REVIEW_DAYS or 90); overdue identities are NHI1 findings.")
    var reviewDays: Int?
    @Option(name: .long, help: "Third-party identities are confirmed every this many days, 1 to 3650 (default $KEYWARD_REVIEW_THIRD_PARTY_DAYS or 30); overdue ones are NHI3 findings.")
    var reviewThirdPartyDays: Int?
    @Option(name: .long, help: "A console session ends this many hours after sign-in, 1 to 24 (default $KEYWARD_CONSOLE_SESSION_HOURS or 8).")
    var consoleSessionHours: Int?
    @Option(name: .long, help: "A console session ends after this many minutes without a page, 5 to 480 (default $KEYWARD_CONSOLE_IDLE_MINUTES or 30).")
    var consoleIdleMinutes: Int?
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

    /// Unbuffered stdout, so a supervisor or test reading the pipe sees each line at once.
    static func say(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }

    func run() async throws {
        for (name, setting) in Settings.misspelledVariables() {
            Output.warn("\(name) is not a Keyward setting and is ignored; did you mean \(setting)?")
        }
        let (configured, level, configuredLoops) = try configuration(Settings(flags: flags, defaults: Self.serverDefaults))
        Self.prepareProcess()
        OpenFileLimit.raise() // one descriptor per connection; see ConnectionLimits.maxConnections
        let loops = CPUSet.eventLoops(configured: configuredLoops, nioLoopCount: Settings.processEnvironment["NIO_SINGLETON_GROUP_LOOP_COUNT"])
        // Log lines are written to stderr by their own thread, off the event loops; everything
        // queued is written before serve returns.
        let logWriter = LogWriter()
        defer { logWriter.flush() }
        var withWriter = configured
        withWriter.logWriter = logWriter
        let config = withWriter
        var logger = Logger(label: "keyward") { QueuedLogHandler(label: $0, writer: logWriter) }
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
