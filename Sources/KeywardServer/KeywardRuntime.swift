import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardScanner
import KeywardStore
import KeywardVerify
import Logging
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle
import Synchronization
import Metrics
import UnixSignals

/// The composition root: builds every concrete service once, from one configuration.
package final class KeywardRuntime: Sendable {
    package let config: ServerConfiguration
    package let store: Store
    package let index: KeyIndex
    package let verifier: Verifier
    package let usage: UsageRecorder
    package let governance: Governance
    package let registry: PrometheusCollectorRegistry
    package let webhooks: WebhookDispatcher
    /// The OAuth token endpoint, introspection and revocation, and token verify.
    package let oauth: AuthorizationServer
    package let tokens: TokenVerifier
    /// Rate limits for verify, `/v1/authz` and Keyward's own routes.
    package let limits: Limits
    /// The abuse detectors at the verify point, and what records their findings.
    package let detection: DetectionEngine
    package let detections: DetectionRecorder
    /// Writes verify usage to the store; its timer runs in `makeServiceGroup`'s services.
    package let usageFlusher: UsageFlusher
    /// Closes rotations early, extends them for lagging consumers (issue 15); flushes usage before each pass.
    package let rotations: RotationWatcher
    /// Computes the posture hourly so each day keeps a snapshot for the trend (issue 17).
    package let postureSnapshots: PostureSnapshotter
    /// Verify requests the fast path answered itself (not handed to the router).
    package let fastPath = FastPathCounter()
    let requests: RequestMetrics
    let connections: ConnectionTracker
    let githubKeys: GitHubPartnerKeys
    let signingKey: Data
    let logger: Logger
    /// Each answered request's log line, for the router and both fast paths.
    let requestLog: RequestLog
    /// Built (and its files read) once, at start, so bad TLS files fail before the store is touched.
    let tls: TLSSetup.Server?

    private init(config: ServerConfiguration, store: Store, index: KeyIndex, verifier: Verifier, usage: UsageRecorder,
                 governance: Governance, registry: PrometheusCollectorRegistry, webhooks: WebhookDispatcher, githubKeys: GitHubPartnerKeys,
                 signingKey: Data, logger: Logger, tls: TLSSetup.Server?, oauth: AuthorizationServer, limits: Limits, detection: DetectionEngine) {
        self.limits = limits
        self.detection = detection
        self.tls = tls
        self.oauth = oauth
        self.tokens = TokenVerifier(server: oauth)
        self.requests = RequestMetrics(registry: registry)
        // Timeouts, connection caps and close-after-response for both paths (issue 10 item 3).
        self.connections = ConnectionTracker(limits: config.connections, openFileLimit: OpenFileLimit.current, registry: registry, logger: logger)
        self.webhooks = webhooks
        let usageFlusher = UsageFlusher(recorder: usage, store: store, interval: config.usageFlushInterval, logger: logger)
        self.usageFlusher = usageFlusher
        self.detections = DetectionRecorder(engine: detection, governance: governance, clock: config.clock, logger: logger,
                                            redact: { CredentialShape.shared.rule(in: $0) }, flushUsage: { _ = await usageFlusher.flush() })
        self.rotations = RotationWatcher(governance: governance, interval: config.rotationWatchInterval, logger: logger) { await usageFlusher.flush(paced: true) }
        self.postureSnapshots = PostureSnapshotter(governance: governance, logger: logger)
        self.githubKeys = githubKeys
        self.config = config
        self.store = store
        self.index = index
        self.verifier = verifier
        self.usage = usage
        self.governance = governance
        self.registry = registry
        self.signingKey = signingKey
        self.logger = logger
        self.requestLog = RequestLog(logger: logger, writer: config.logWriter)
    }

    /// Opens the store, loads the index, and bootstraps the admin key on an empty store.
    /// Returns the runtime and, on first start only, the admin key's plaintext.
    package static func start(_ config: ServerConfiguration, logger: Logger) async throws -> (KeywardRuntime, Secret?) {
        try config.validate()
        let tls = try TLSSetup.configuration(config)
        let githubKeys = try config.githubKeysFile.map(GitHubPartnerKeys.load) ?? GitHubPartnerKeys()
        // Before anything is created or written: a first start must not print an admin key and then fail to listen.
        try ListenCheck.ensureBindable(host: config.host, port: config.port)
        let location = config.location
        if location.usesDataFolder { try DataFolder.prepare(location.dataDirectory) }
        let fingerprints = try location.hmacKey(create: true)
        let signingKey = try DataFolder.auditSigningKey(at: location.auditSigningKeyPath, create: location.auditSigningKeyFile == nil)
        try DataFolder.checkStoreFiles(try location.storeConfiguration)
        // Every free-text field is checked with the scanner's rules: compile them now (cached), not on a request.
        await CredentialShape.prepare(cacheDirectory: config.ruleCacheDirectory)
        let store = try await Store.open(try config.storeConfiguration, clock: config.clock, logger: logger)
        do {
            let registry = PrometheusCollectorRegistry()
            let factory = DescribedMetricsFactory(registry: registry)
            let index = KeyIndex()
            let usage = UsageRecorder(redact: { CredentialShape.shared.rule(in: $0) })
            let verifier = Verifier(index: index, usage: usage, freshness: store.feed.freshness, config: config.verifier, clock: config.clock, metrics: factory)
            let remoteJWKS = RemoteJWKS(settings: config.jwks, clock: config.clock, logger: logger)
            let governance = Governance(store: store, policy: config.policy, fingerprints: fingerprints, containment: config.containment, logger: logger,
                                        remoteJWKS: remoteJWKS, reviewPolicy: config.reviewPolicy)
            try await index.attach(to: store)
            let secret = try await governance.bootstrapIfEmpty()
            // Webhook secrets sealed before 0.12 are bound to their row now, before the dispatcher reads them.
            if try await governance.resealUnboundWebhooks() > 0 { logger.notice("webhook secrets resealed, each bound to its row") }
            let clients = ClientIndex()
            try await clients.attach(to: store)
            let signingKeys = SigningKeyRing(store: store, fingerprints: fingerprints)
            try await signingKeys.attach()
            let oauth = AuthorizationServer(
                settings: OAuthSettings(issuer: config.oauthIssuer ?? "\(config.scheme)://\(Self.urlHost(config.host)):\(config.port)",
                                        defaultTokenLifetime: config.tokenLifetime, requireDPoPNonce: config.dpopNonceRequired,
                                        mutualTLS: tls?.clientTrust != nil),
                store: store, clients: clients, signingKeys: signingKeys, fingerprints: fingerprints, logger: logger, remoteJWKS: remoteJWKS)
            oauth.useClientCertificates(tls?.clientTrust)
            // Last: it owns an HTTP client that must be shut down, and nothing after it can fail.
            let webhooks = WebhookDispatcher(store: store, fingerprints: fingerprints, logger: logger, maxAttempts: config.webhookMaxAttempts,
                                             baseDelay: config.webhookBaseDelay)
            let limits = try Self.makeLimits(config, metrics: factory, logger: logger)
            let rt = KeywardRuntime(config: config, store: store, index: index, verifier: verifier, usage: usage,
                                    governance: governance, registry: registry, webhooks: webhooks, githubKeys: githubKeys,
                                    signingKey: signingKey.rawRepresentation, logger: logger, tls: tls, oauth: oauth, limits: limits,
                                    detection: DetectionEngine(policy: config.detection, metrics: factory))
            try await rt.detections.restoreBlocks()
            return (rt, secret)
        } catch {
            await store.close()
            throw error
        }
    }

    package func makeRouter() -> Router<KeywardRequestContext> {
        let router = Router(context: KeywardRequestContext.self)
        let table = RouteTable()
        let io = JSONIO(maxBodyBytes: config.maxBodyBytes)
        let auth = Authenticator(verifier: verifier)
        var openAPI = ByteBuffer()
        if let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) {
            openAPI = ByteBuffer(bytes: data)
        }
        router.add(middleware: ProblemMiddleware(routes: table, metrics: requests, log: requestLog))
        router.add(middleware: RouteLimitMiddleware(limits: limits))
        let posture = PostureCache(governance: governance)
        SystemRoutes(registry: registry, verifier: verifier, connections: connections, openAPI: openAPI, logWriter: config.logWriter,
                     detection: detection, posture: posture)
            .register(on: router, table: table)
        VerifyRoutes(point: VerifyPoint(verifier: verifier, tokens: tokens, limits: limits, detection: detection), auth: auth, io: io).register(on: router, table: table)
        OAuthRoutes(server: oauth, auth: auth, tls: config.tlsCertificateFile != nil, limits: limits).register(on: router, table: table)
        ClientRoutes(governance: governance, server: oauth, auth: auth, io: io).register(on: router, table: table)
        ManagementRoutes(governance: governance, auth: auth, io: io, clock: config.clock).register(on: router, table: table)
        PrivilegeRoutes(governance: governance, auth: auth, io: io).register(on: router, table: table)
        let flusher = usageFlusher
        let flushUsage: @Sendable () async -> Void = { await flusher.flush() }
        RotationRoutes(governance: governance, auth: auth, io: io, flushUsage: flushUsage).register(on: router, table: table)
        AuditRoutes(governance: governance, signingKey: signingKey, auth: auth, io: io).register(on: router, table: table)
        let tls = config.tlsCertificateFile != nil
        ExposureRoutes(governance: governance, auth: auth, tls: tls, plaintextFromLoopback: config.acceptPlaintextFromLoopback,
                       quota: ReporterQuota(limits: config.reporterQuota), flushUsage: flushUsage).register(on: router, table: table)
        GitHubPartnerRoutes(governance: governance, keys: githubKeys, flushUsage: flushUsage).register(on: router, table: table)
        IncidentRoutes(governance: governance, auth: auth, io: io, flushUsage: flushUsage).register(on: router, table: table)
        InventoryRoutes(governance: governance, auth: auth, io: io, tls: tls).register(on: router, table: table)
        WebhookRoutes(governance: governance, auth: auth, io: io).register(on: router, table: table)
        DetectionRoutes(governance: governance, engine: detection, auth: auth, io: io).register(on: router, table: table)
        PostureRoutes(governance: governance, auth: auth, io: io, cache: posture).register(on: router, table: table)
        ConsoleRoutes(governance: governance, auth: ConsoleAuth(governance: governance, authenticator: auth, secure: tls, policy: config.consoleSessions),
                      posture: posture).register(on: router, table: table)
        AuthzRoutes(point: VerifyPoint(verifier: verifier, tokens: tokens, limits: limits, detection: detection), config: config.authz).register(on: router, table: table)
        return router
    }

    /// The HTTP server plus the usage flusher, with graceful shutdown on SIGTERM/SIGINT
    /// when `signals` is set. `onListening` receives the bound port.
    package func makeServiceGroup(signals: Bool, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> ServiceGroup {
        let verifier = verifier, requestLog = requestLog, maxBody = config.maxBodyBytes, fastPath = fastPath, tokens = tokens, limits = limits, detection = detection
        let oauth = oauth, configuredIssuer = config.oauthIssuer, host = config.host, scheme = config.scheme
        let requests = requests
        let authz = AuthzRoutes(point: VerifyPoint(verifier: verifier, tokens: tokens, limits: limits, detection: detection), config: config.authz)
        // The token fast path only where no connection can carry a client certificate (see TokenFastPath).
        let tokenFastPath = tls == nil
        let http1Configuration = HTTP1Channel.Configuration(additionalChannelHandlers: [
            VerifyFastPath(authz: authz, auth: Authenticator(verifier: verifier),
                           maxBodyBytes: maxBody, metrics: requests,
                           counter: fastPath, log: requestLog),
        ] + (tokenFastPath ? [TokenFastPath(server: oauth, limits: limits, metrics: requests, counter: fastPath, log: requestLog)] : []))
        let http1 = GuardedHTTP1Channel.http1(configuration: http1Configuration, limits: config.connections, tracker: connections)
        let server: HTTPServerBuilder
        if let tls, let trust = tls.clientTrust {
            server = try GuardedHTTP1Channel.mutualTLS(configuration: http1Configuration, limits: config.connections, tracker: connections,
                                                       tls: tls.configuration, trust: trust, clock: config.clock)
        } else if let tls {
            server = try .tls(http1, tlsConfiguration: tls.configuration)
        } else {
            server = http1
        }
        let app = Application(
            router: makeRouter(),
            server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                // The issuer names the port the server really listens on (port 0 picks one).
                if configuredIssuer == nil { oauth.useIssuer("\(scheme)://\(Self.urlHost(host)):\(port)") }
                await onListening(port)
            },
            logger: logger
        )
        // ServiceGroup stops services in reverse order: the server first, then the final flush.
        return ServiceGroup(configuration: .init(
            services: [usageFlusher, webhooks, detections, rotations, postureSnapshots, app],
            gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [],
            logger: logger
        ))
    }

    /// Writes the verify usage recorded so far, now (what the flusher's timer does every
    /// `usageFlushInterval`); returns how many keys' usage it wrote.
    @discardableResult
    package func flushUsage() async -> Int { await usageFlusher.flush() }

    /// One rotation-watcher pass at `now` (default: the store's clock), as its timer does:
    /// flushes usage, then closes or extends open rotations; returns what it did.
    @discardableResult
    package func tickRotations(now: Date? = nil) async throws -> [RotationAction] { try await rotations.tick(now: now) }

    /// Delivers every webhook due by `now` (default: the store's clock) once, as the
    /// dispatcher's timer does; returns what each attempt did.
    @discardableResult
    package func recordDetections() async -> Int { await detections.record() }

    @discardableResult
    package func drainWebhooks(now: Date? = nil) async -> DrainReport { await webhooks.drain(now: now) }

    /// The limits of `config.rateLimits`; a shared store's failures are logged at most once a minute
    /// (each is counted in `/metrics`).
    static func makeLimits(_ config: ServerConfiguration, metrics: any MetricsFactory, logger: Logger) throws -> Limits {
        let lastLogged = Mutex<ContinuousClock.Instant?>(nil)
        let shared = try config.rateLimitStoreURL.map { try RedisLimitStore(url: $0) }
        if let shared {
            logger.info("rate limits shared through redis", metadata: [
                "store": "\(shared.client.url)", "on_failure": "\(config.rateLimitFailOpen ? "local limiter" : "refuse with 503")",
            ])
        }
        return Limits(policy: config.rateLimits, shared: shared, failOpen: config.rateLimitFailOpen, metrics: metrics) { error in
            let now = ContinuousClock.now
            let due = lastLogged.withLock { last in
                guard last.map({ now - $0 >= .seconds(60) }) ?? true else { return false }
                last = now
                return true
            }
            if due {
                logger.error("rate-limit store unavailable", metadata: [
                    "fallback": "\(config.rateLimitFailOpen ? "local limiter" : "refuse with 503")", "error": "\(String(describing: error).prefix(200))",
                ])
            }
        }
    }

    /// A host as it appears in a URL (IPv6 literals in brackets).
    static func urlHost(_ host: String) -> String { host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host }

    package func shutdown() async {
        if let redis = limits.shared as? RedisLimitStore { await redis.close() }
        await store.close()
    }
}
