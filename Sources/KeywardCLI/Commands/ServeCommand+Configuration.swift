import Foundation
import KeywardAPI
import KeywardCore
import KeywardOAuth
import KeywardServer
import KeywardVerify
import Logging

/// `keyward serve`'s settings, read once through `Settings` (flags, then `KEYWARD_*`, then
/// defaults) and validated before anything starts: a bad value exits 2 naming the flag, whether
/// it came from the flag or from the environment.
extension ServeCommand {
    /// The options given on the command line; an option not given is nil, so the environment
    /// or the default answers for it.
    var flags: [Setting: String?] {
        [
            .dataDir: dataDir, .databaseURL: database, .host: host, .port: port.map(String.init),
            .hmacKeyFile: hmacKeyFile, .auditSigningKeyFile: auditSigningKeyFile, .verifyEnvironments: verifyEnvironments,
            .maxLiveDays: maxLiveDays.map(String.init), .maxTestDays: maxTestDays.map(String.init),
            .defaultLifetimeDays: defaultLifetimeDays.map(String.init), .noPolicyExceptions: noPolicyExceptions ? "true" : nil,
            .tlsCert: tlsCert, .tlsKey: tlsKey, .clientCA: clientCa, .clientCertMode: clientCert, .containment: containment,
            .selfSignedClientCerts: selfSignedClientCerts ? "true" : nil,
            .quarantineScopes: quarantineScopes, .githubKeysFile: githubKeysFile, .ruleCacheDir: ruleCacheDir,
            .acceptPlaintextFromLoopback: acceptPlaintextFromLoopback ? "true" : nil, .reportQuotaItems: reportQuotaItems.map(String.init),
            .usageFlushSeconds: usageFlushSeconds.map(String.init), .maxStalenessMs: maxStalenessMs.map(String.init),
            .eventLoops: eventLoops.map(String.init), .logLevel: logLevel,
            .idleTimeoutSeconds: idleTimeoutSeconds.map(String.init), .headTimeoutSeconds: headTimeoutSeconds.map(String.init),
            .bodyTimeoutSeconds: bodyTimeoutSeconds.map(String.init), .maxConnections: maxConnections.map(String.init),
            .maxConnectionsPerSource: maxConnectionsPerSource.map(String.init),
            .issuer: issuer, .dpopNonce: dpopNonce ? "true" : nil, .tokenLifetimeSeconds: tokenLifetimeSeconds.map(String.init),
            .jwksAllow: jwksAllow.isEmpty ? nil : jwksAllow.joined(separator: ","), .jwksTimeoutMs: jwksTimeoutMs.map(String.init),
            .authzTrustedProxy: authzTrustedProxy.isEmpty ? nil : authzTrustedProxy.joined(separator: ","), .authzKeyHeader: authzKeyHeader,
            .authzRoute: authzRoute.isEmpty ? nil : authzRoute.joined(separator: ";"),
            .rateLimit: rateLimit, .rateLimitStore: rateLimitStore, .rateLimitStoreFailure: rateLimitStoreFailure, .detect: detect,
            .rotationQuietPeriodSeconds: rotationQuietPeriodSeconds.map(String.init),
            .reviewDays: reviewDays.map(String.init), .reviewThirdPartyDays: reviewThirdPartyDays.map(String.init),
            .consoleSessionHours: consoleSessionHours.map(String.init), .consoleIdleMinutes: consoleIdleMinutes.map(String.init),
        ]
    }

    /// The server's documented defaults, from `ServerConfiguration`, so the reader and the server
    /// agree on them (`Settings` adds the CLI's own).
    static var serverDefaults: [Setting: String] {
        let c = ServerConfiguration()
        func days(_ t: TimeInterval?) -> String? { t.map { String(Int($0 / 86_400)) } }
        func seconds(_ d: Duration) -> String { String(d.components.seconds) }
        let values: [Setting: String?] = [
            .host: c.host,
            .port: String(c.port),
            .verifyEnvironments: c.verifyEnvironments.map(\.rawValue).sorted().joined(separator: ","),
            .maxLiveDays: days(c.policy.maxLifetime[.live]),
            .maxTestDays: days(c.policy.maxLifetime[.test]),
            .defaultLifetimeDays: days(c.policy.defaultLifetime),
            .clientCertMode: c.clientCertificateRequired ? "required" : "optional",
            .reportQuotaItems: String(c.reporterQuota.itemsPerHour),
            .usageFlushSeconds: seconds(c.usageFlushInterval),
            .maxStalenessMs: String(c.maxStaleness.components.seconds * 1_000 + c.maxStaleness.components.attoseconds / 1_000_000_000_000_000),
            .idleTimeoutSeconds: seconds(c.connections.idleTimeout),
            .headTimeoutSeconds: seconds(c.connections.headTimeout),
            .bodyTimeoutSeconds: seconds(c.connections.bodyTimeout),
            .maxConnections: String(c.connections.maxConnections),
            .maxConnectionsPerSource: String(c.connections.maxConnectionsPerSource),
            .tokenLifetimeSeconds: seconds(c.tokenLifetime),
            .rateLimitStoreFailure: c.rateLimitFailOpen ? "open" : "closed",
            .rotationQuietPeriodSeconds: String(Int(c.policy.rotationQuietPeriod)),
            .reviewDays: String(c.reviewPolicy.days), .reviewThirdPartyDays: String(c.reviewPolicy.thirdPartyDays),
            .consoleSessionHours: String(Int(c.consoleSessions.absolute / 3_600)), .consoleIdleMinutes: String(Int(c.consoleSessions.idle / 60)),
            .jwksTimeoutMs: String(c.jwks.timeout.components.seconds * 1_000 + c.jwks.timeout.components.attoseconds / 1_000_000_000_000_000),
        ]
        return values.compactMapValues { $0 }
    }

    /// The server's configuration, its log level and its event-loop count (nil: sized from the
    /// CPUs this process may run on).
    func configuration(_ s: Settings) throws -> (ServerConfiguration, Logger.Level, eventLoops: Int?) {
        var c = ServerConfiguration()
        c.dataDirectory = s[.dataDir] ?? c.dataDirectory
        c.databaseURL = s[.databaseURL]
        c.host = s[.host] ?? c.host
        if let raw = s[.port] {
            guard let p = Int(raw) else { throw CLIExit.error("\(Setting.port.variable) must be a number") }
            c.port = p
        }
        c.hmacKeyFile = s[.hmacKeyFile]
        c.auditSigningKeyFile = s[.auditSigningKeyFile]
        if let v = s[.verifyEnvironments] {
            let envs = v.split(separator: ",").map { KeyEnvironment(rawValue: String($0).trimmingCharacters(in: .whitespaces)) }
            guard !envs.isEmpty, envs.allSatisfy({ $0 != nil }) else { throw CLIExit.error("--verify-environments takes live, test or live,test") }
            c.verifyEnvironments = Set(envs.compactMap { $0 })
        }
        let lifetimes = try [Setting.maxLiveDays, .maxTestDays, .defaultLifetimeDays].map { try s.integer($0, in: 1...3650) }
        if let d = lifetimes[0] { c.policy.maxLifetime[.live] = TimeInterval(d) * 86_400 }
        if let d = lifetimes[1] { c.policy.maxLifetime[.test] = TimeInterval(d) * 86_400 }
        if let d = lifetimes[2] { c.policy.defaultLifetime = TimeInterval(d) * 86_400 }
        if s.isOn(.noPolicyExceptions) { c.policy.allowExceptions = false }
        c.tlsCertificateFile = s[.tlsCert]
        c.tlsKeyFile = s[.tlsKey]
        c.clientCAFile = s[.clientCA]
        c.selfSignedClientCertificates = s.isOn(.selfSignedClientCerts)
        if let rules = s[.containment] {
            do {
                c.containment = ContainmentPolicy(rules: try ContainmentPolicy.parseRules(rules, sources: Set(ExposureReport.Source.allCases.map(\.rawValue))))
            } catch let e as KeywardError { throw CLIExit.error("--containment: \(e.message)") }
        }
        if let q = s[.quarantineScopes] {
            let scopes = q.split(separator: ",").map { Scope(String($0).trimmingCharacters(in: .whitespaces)) }
            guard scopes.allSatisfy({ $0 != nil }) else { throw CLIExit.error("--quarantine-scopes takes comma-separated scopes like payments:read") }
            c.verifier.quarantineScopes = Set(scopes.compactMap { $0 })
        }
        c.githubKeysFile = s[.githubKeysFile]
        if let v = try s.integer(.usageFlushSeconds, in: 1...3_600) { c.usageFlushInterval = .seconds(v) }
        if let v = try s.integer(.maxStalenessMs, in: 1_000...3_600_000) { c.maxStaleness = .milliseconds(v) }
        for (setting, path) in [(Setting.idleTimeoutSeconds, \ConnectionLimits.idleTimeout), (.headTimeoutSeconds, \.headTimeout),
                                (.bodyTimeoutSeconds, \.bodyTimeout)] {
            if let v = try s.integer(setting, in: 1...3_600) { c.connections[keyPath: path] = .seconds(v) }
        }
        if let v = try s.integer(.maxConnections, in: 1...1_000_000) { c.connections.maxConnections = v }
        if let v = try s.integer(.maxConnectionsPerSource, in: 1...1_000_000) { c.connections.maxConnectionsPerSource = v }
        c.ruleCacheDirectory = Settings.ruleCache(s[.ruleCacheDir])
        c.oauthIssuer = s[.issuer]
        c.dpopNonceRequired = s.isOn(.dpopNonce)
        if let v = try s.integer(.tokenLifetimeSeconds, in: 60...3_600) { c.tokenLifetime = .seconds(v) }
        if let hosts = s[.jwksAllow] {
            do {
                c.jwks.allowList = try JWKSAllowList(hosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            } catch { throw CLIExit.error(error.reason) }
        }
        if let v = try s.integer(.jwksTimeoutMs, in: 100...60_000) { c.jwks.timeout = .milliseconds(v) }
        if let v = try s.integer(.reviewDays, in: 1...3_650) { c.reviewPolicy.days = v }
        if let v = try s.integer(.reviewThirdPartyDays, in: 1...3_650) { c.reviewPolicy.thirdPartyDays = v }
        if let v = try s.integer(.consoleSessionHours, in: 1...24) { c.consoleSessions.absolute = TimeInterval(v) * 3_600 }
        if let v = try s.integer(.consoleIdleMinutes, in: 5...480) { c.consoleSessions.idle = TimeInterval(v) * 60 }
        if let rules = s[.detect] {
            do { try c.detection.apply(rules) } catch let e as KeywardError { throw CLIExit.error("--detect: \(e.message)") }
        }
        if let rules = s[.rateLimit] {
            do { try c.rateLimits.apply(rules) } catch let e as KeywardError { throw CLIExit.error("--rate-limit: \(e.message)") }
        }
        if let url = s[.rateLimitStore] {
            // Checked here so a bad URL exits 2 naming the flag (never quoting it: it may hold a password).
            do { _ = try RedisURL(parsing: url) } catch let e as KeywardError { throw CLIExit.error("--rate-limit-store: \(e.message)") }
            c.rateLimitStoreURL = url
        }
        switch s[.rateLimitStoreFailure] {
        case nil, "open": c.rateLimitFailOpen = true
        case "closed": c.rateLimitFailOpen = false
        default: throw CLIExit.error("--rate-limit-store-failure must be open or closed")
        }
        c.acceptPlaintextFromLoopback = s.isOn(.acceptPlaintextFromLoopback)
        if let v = try s.integer(.rotationQuietPeriodSeconds, in: 1...Int(c.policy.maxGrace)) { c.policy.rotationQuietPeriod = TimeInterval(v) }
        c.authz = try Self.authz(s)
        if let v = try s.integer(.reportQuotaItems, in: 1_000...10_000_000) {
            c.reporterQuota.itemsPerHour = v
            c.reporterQuota.itemBurst = max(1_000, v / 4)
        }
        switch s[.clientCertMode] {
        case nil, "required": c.clientCertificateRequired = true
        case "optional": c.clientCertificateRequired = false
        default: throw CLIExit.error("--client-cert must be required or optional")
        }
        guard let level = s[.logLevel].flatMap(Logger.Level.init(rawValue:)) else {
            throw CLIExit.error("--log-level must be one of trace, debug, info, notice, warning, error")
        }
        do { try c.validate() } catch let e as KeywardError { throw CLIExit.error(e.message) }
        let loops = try s.integer(.eventLoops, in: 1...1_024)
        return (c, level, loops)
    }
}

extension ServeCommand {
    /// `--authz-trusted-proxy` (comma-separated in the environment), `--authz-key-header` and
    /// `--authz-route` (`;`-separated in the environment); a bad value exits 2 naming the flag.
    static func authz(_ s: Settings) throws -> AuthzConfiguration {
        var a = AuthzConfiguration()
        for raw in (s[.authzTrustedProxy] ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
            guard let range = AddressRange(raw) else {
                throw CLIExit.error("--authz-trusted-proxy \(raw.prefix(64)): an IP address or CIDR such as 127.0.0.1/32 or 10.0.0.0/8")
            }
            a.trustedProxies.append(range)
        }
        a.keyHeader = s[.authzKeyHeader]
        for raw in (s[.authzRoute] ?? "").split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
            do { a.routes.append(try AuthzRule(parsing: raw)) } catch let e as KeywardError { throw CLIExit.error(e.message) }
        }
        do { try a.validate() } catch let e as KeywardError { throw CLIExit.error(e.message) }
        return a
    }
}
