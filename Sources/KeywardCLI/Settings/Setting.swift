import Configuration
import Foundation

/// One `KEYWARD_*` setting, named by its configuration key: swift-configuration's environment
/// key encoding turns `idle.timeout.seconds` into `IDLE_TIMEOUT_SECONDS`, and `Settings` puts
/// the variables under the `keyward` prefix, so the variable is `KEYWARD_IDLE_TIMEOUT_SECONDS`.
package enum Setting: String, CaseIterable, Sendable {
    // keyward serve (and admin recover, audit verify: the data folder and the database)
    case dataDir = "data.dir"
    case databaseURL = "database.url"
    case host
    case port
    case hmacKeyFile = "hmac.key.file"
    case auditSigningKeyFile = "audit.signing.key.file"
    case verifyEnvironments = "verify.environments"
    case maxLiveDays = "max.live.days"
    case maxTestDays = "max.test.days"
    case defaultLifetimeDays = "default.lifetime.days"
    case noPolicyExceptions = "no.policy.exceptions"
    case tlsCert = "tls.cert"
    case tlsKey = "tls.key"
    case clientCA = "client.ca"
    case clientCertMode = "client.cert.mode"
    case selfSignedClientCerts = "self.signed.client.certs"
    case containment
    case quarantineScopes = "quarantine.scopes"
    case githubKeysFile = "github.keys.file"
    case ruleCacheDir = "rule.cache.dir"
    case acceptPlaintextFromLoopback = "accept.plaintext.from.loopback"
    case reportQuotaItems = "report.quota.items"
    case usageFlushSeconds = "usage.flush.seconds"
    case maxStalenessMs = "max.staleness.ms"
    case eventLoops = "event.loops"
    case logLevel = "log.level"
    case idleTimeoutSeconds = "idle.timeout.seconds"
    case headTimeoutSeconds = "head.timeout.seconds"
    case bodyTimeoutSeconds = "body.timeout.seconds"
    case maxConnections = "max.connections"
    case maxConnectionsPerSource = "max.connections.per.source"
    case issuer
    case dpopNonce = "dpop.nonce"
    case tokenLifetimeSeconds = "token.lifetime.seconds"
    case jwksAllow = "jwks.allow"
    case jwksTimeoutMs = "jwks.timeout.ms"
    case authzTrustedProxy = "authz.trusted.proxy"
    case authzKeyHeader = "authz.key.header"
    case authzRoute = "authz.route"
    case rateLimit = "rate.limit"
    case rateLimitStore = "rate.limit.store"
    case rateLimitStoreFailure = "rate.limit.store.failure"
    case detect
    case rotationQuietPeriodSeconds = "rotation.quiet.period.seconds"
    case reviewDays = "review.days"
    case reviewThirdPartyDays = "review.third.party.days"
    case consoleSessionHours = "console.session.hours"
    case consoleIdleMinutes = "console.idle.minutes"
    // client commands
    case addr
    case token
    case cacert
    case clientCert = "client.cert"
    case clientKey = "client.key"

    var key: ConfigKey { ConfigKey(rawValue) }

    /// The environment variable that sets it.
    package var variable: String { "KEYWARD_" + rawValue.uppercased().replacingOccurrences(of: ".", with: "_") }

    /// The `keyward serve` flag of the same name (`--usage-flush-seconds`), for messages.
    var flag: String { "--" + rawValue.replacingOccurrences(of: ".", with: "-") }

    /// A key, or a URL that may hold a password: redacted even in swift-configuration's own
    /// access log (`CONFIG_ACCESS_LOG_FILE`), as every secret is kept out of logs.
    var isSecret: Bool { self == .token || self == .databaseURL || self == .rateLimitStore }
}
