import Foundation
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardStore
import KeywardVerify
import Logging

/// Everything `keyward serve` needs, read once at start-up (flags, then `KEYWARD_*`
/// environment, then these documented defaults) and validated.
package struct ServerConfiguration: Sendable {
    /// Listen address. Default 127.0.0.1.
    package var host: String = "127.0.0.1"
    /// Listen port. Default 8080; 0 picks a free port (tests).
    package var port: Int = 8080
    /// The store and key files (`StoreLocation`, shared with the commands that open a store
    /// offline); its four settings are also reachable by name below.
    package var location = StoreLocation()
    package var dataDirectory: String {
        get { location.dataDirectory }
        set { location.dataDirectory = newValue }
    }
    package var databaseURL: String? {
        get { location.databaseURL }
        set { location.databaseURL = newValue }
    }
    package var hmacKeyFile: String? {
        get { location.hmacKeyFile }
        set { location.hmacKeyFile = newValue }
    }
    package var auditSigningKeyFile: String? {
        get { location.auditSigningKeyFile }
        set { location.auditSigningKeyFile = newValue }
    }
    /// Issuance policy (lifetimes, grace, exceptions).
    package var policy = IssuancePolicy()
    /// Rate limits (`--rate-limit`); defaults in `RateLimitPolicy`.
    package var rateLimits = RateLimitPolicy()
    /// When a shared rate-limit store cannot answer: true falls back to this node's limiter (the
    /// default: an outage of the store must not take the APIs behind Keyward down), false refuses
    /// with 503 (`--rate-limit-store-failure closed`).
    package var rateLimitFailOpen = true
    /// A shared rate-limit store (`redis://…`) for a cluster; nil: each node limits alone.
    package var rateLimitStoreURL: String?
    /// What each detector at the verify point does (`--detect`); defaults in `DetectionPolicy`.
    package var detection = DetectionPolicy()
    /// Which key environments verify accepts. Default both.
    package var verifier = VerifierConfiguration()
    /// How stale the key index may grow (a lost PostgreSQL change feed) before verify and the
    /// management bearer check answer 503 and `/readyz` answers 503; shorthand for
    /// `verifier.maxStaleness`, whose comment gives the reasons. Default 2 s; 1 s to 1 h.
    package var maxStaleness: Duration {
        get { verifier.maxStaleness }
        set { verifier.maxStaleness = newValue }
    }
    /// Largest request body accepted. Default 64 KiB; larger answers 413.
    package var maxBodyBytes: Int = 64 * 1024
    /// Console sessions: 8 hours from sign-in, 30 minutes idle (issue 17).
    package var consoleSessions = ConsoleSessionPolicy()
    /// How often owners confirm their identities (`--review-days`, `--review-third-party-days`).
    package var reviewPolicy = ReviewPolicy()
    /// How often verify usage is written to the store. Default 5 s: each flush writes a row
    /// set per key used, and on a loaded 2-core node a flush every second showed in verify's p99.
    package var usageFlushInterval: Duration = .seconds(5)
    /// How often the rotation watcher decides open rotations (issue 15); each pass flushes usage first.
    package var rotationWatchInterval: Duration = .seconds(30)
    package var clock: WallClock = .system
    /// HTTPS: PEM certificate chain and private key. Both or neither.
    package var tlsCertificateFile: String?
    package var tlsKeyFile: String?
    /// Mutual TLS: PEM CA bundle that client certificates must chain to.
    package var clientCAFile: String?
    /// With `clientCAFile`: refuse connections without a client certificate (default), or
    /// accept them and verify a certificate only when one is presented.
    package var clientCertificateRequired = true
    /// `--self-signed-client-certs`: the handshake also accepts a self-signed client certificate
    /// (RFC 8705 §2.2, `self_signed_tls_client_auth`); off by default, since it lets any
    /// certificate past the TLS layer (only registered ones authenticate a client).
    package var selfSignedClientCertificates = false
    /// What a matched leak triggers. Default: live keys revoked, test keys quarantined.
    package var containment = ContainmentPolicy()
    /// GitHub secret-scanning partner public keys (GitHub's JSON format); nil: the partner
    /// endpoint answers 401 to everything.
    package var githubKeysFile: String?
    /// Plaintext leak intelligence (`POST /v1/exposures` with `secret`) from a loopback peer over
    /// plain HTTP. Default off: a proxy on this host makes every remote client look local, so
    /// only TLS counts unless an operator says this host's loopback is trusted.
    package var acceptPlaintextFromLoopback = false
    /// Compiled scanner-rule cache (shared with `keyward scan`), for the check that refuses
    /// credentials in free-text fields; nil compiles in memory at every start (about 20 s).
    /// Default `$XDG_CACHE_HOME/keyward` or `~/.cache/keyward`.
    package var ruleCacheDirectory: String?
    /// Per-reporter intake quota of `POST /v1/exposures` (items and bytes an hour; 429 beyond).
    package var reporterQuota = ReporterQuota.Limits.default
    /// Webhook retries: attempts before giving up, and the first backoff (doubling, ≤ 5 min).
    package var webhookMaxAttempts = 8
    package var webhookBaseDelay: Duration = .seconds(1)
    /// Timeouts and connection caps against slow and greedy clients (idle 75 s, head 10 s,
    /// body 30 s; 8,192 connections, 1,024 per source); see `ConnectionLimits`.
    package var connections = ConnectionLimits()
    /// The OAuth issuer identifier: the URL clients reach this server at, which every token
    /// names and every DPoP `htu` is compared with. Default: `<scheme>://<host>:<port>` as it
    /// listens; set it when clients come through a proxy or a DNS name.
    package var oauthIssuer: String?
    /// Require DPoP server nonces (RFC 9449 §8) at the token endpoint. Default off.
    package var dpopNonceRequired = false
    /// The writer of serve's log lines (set by `keyward serve`, whose logger is a `QueuedLogHandler`
    /// on it): `/metrics` reports what it dropped, and each request's line is built straight into it
    /// (`RequestLog`).
    package var logWriter: LogWriter?
    /// Lifetime of issued access tokens (`--token-lifetime-seconds`): 5 minutes by default, at most
    /// an hour (the signing-key rotation keeps a retired key published that long).
    package var tokenLifetime: Duration = .seconds(300)
    /// `jwks_uri` fetches: the allowed hosts (`--jwks-allow`; default none, so `jwks_uri` is
    /// refused), the timeout (`--jwks-timeout-ms`, default 5 s) and the cache; see `RemoteJWKS`.
    package var jwks = RemoteJWKSSettings()
    /// `/v1/authz` forward-auth: trusted proxies, the API-key header, scopes per route.
    package var authz = AuthzConfiguration()

    package init() {}

    /// Which key environments verify accepts (shorthand for `verifier.acceptedEnvironments`).
    package var verifyEnvironments: Set<KeyEnvironment> {
        get { verifier.acceptedEnvironments }
        set { verifier.acceptedEnvironments = newValue }
    }

    package var scheme: String { tlsCertificateFile == nil ? "http" : "https" }

    package var storeConfiguration: StoreConfiguration {
        get throws { try location.storeConfiguration }
    }

    package func validate() throws {
        guard (0...65535).contains(port) else { throw KeywardError(.validation, "--port must be between 0 and 65535") }
        guard !host.isEmpty else { throw KeywardError(.validation, "--host must not be empty") }
        if let issuer = oauthIssuer {
            guard let u = URLComponents(string: issuer), ["http", "https"].contains(u.scheme?.lowercased() ?? ""), u.host?.isEmpty == false,
                  u.query == nil, u.fragment == nil, u.user == nil, issuer.utf8.count <= 512 else {
                throw KeywardError(.validation, "--issuer must be an absolute http(s) URL with no query, fragment or user")
            }
        }
        guard (tlsCertificateFile == nil) == (tlsKeyFile == nil) else {
            throw KeywardError(.validation, "--tls-cert and --tls-key go together")
        }
        guard clientCAFile == nil || tlsCertificateFile != nil else {
            throw KeywardError(.validation, "--client-ca needs --tls-cert and --tls-key")
        }
        guard !selfSignedClientCertificates || tlsCertificateFile != nil else {
            throw KeywardError(.validation, "--self-signed-client-certs needs --tls-cert and --tls-key")
        }
        guard maxBodyBytes >= 1024 else { throw KeywardError(.validation, "the body limit must be at least 1 KiB") }
        guard maxStaleness >= .seconds(1), maxStaleness <= .seconds(3_600) else {
            throw KeywardError(.validation, "--max-staleness-ms must be from 1000 to 3600000")
        }
        try connections.validate()
        try authz.validate()
    }
}
