import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import KeywardVerify
import Logging

/// The domain as the server composes it, with no HTTP: a real store (SQLite file or PostgreSQL
/// database), `Governance` over it, the verify index fed by the store's change feed, the usage
/// recorder and flusher, and the webhook dispatcher — all on one `ManualClock`. Nothing runs in
/// the background: a test flushes usage and drains the outbox itself.
struct GovernanceHarness {
    let clock: ManualClock
    let store: Store
    let governance: Governance
    let verifier: Verifier
    let usage: UsageFlusher
    let webhooks: WebhookDispatcher
    let logs: LogCapture

    static let admin = Principal(name: "alice@example.com", isAdmin: true)
    /// A scanner's reporting key: not an admin, so containment needs evidence of possession.
    static let reporter = Principal(name: "scanner-bot", isAdmin: false)

    static func with<R: Sendable>(_ backend: Backend, containment: ContainmentPolicy = ContainmentPolicy(), webhookBaseDelay: Duration = .seconds(1),
                                  webhookMaxAttempts: Int = 8, hmacKey: [UInt8] = FingerprintKey.generate(),
                                  _ body: (GovernanceHarness) async throws -> R) async throws -> R {
        let clock = ManualClock()
        let (store, cleanup) = try await backend.open(clock: clock.wallClock)
        let logs = LogCapture()
        let logger = logs.logger()
        let fingerprints = try FingerprintKey(bytes: hmacKey)
        let governance = Governance(store: store, policy: IssuancePolicy(), fingerprints: fingerprints, containment: containment, logger: logger)
        let index = KeyIndex()
        let recorder = UsageRecorder()
        let webhooks = WebhookDispatcher(store: store, fingerprints: fingerprints, logger: logger, maxAttempts: webhookMaxAttempts,
                                         baseDelay: webhookBaseDelay)
        let h = GovernanceHarness(
            clock: clock, store: store, governance: governance,
            // Staleness has its own tests (ClusterStalenessTests); here a loaded machine's late heartbeat must not turn verify into a 503.
            verifier: Verifier(index: index, usage: recorder, freshness: store.feed.freshness, config: VerifierConfiguration(maxStaleness: .seconds(3_600)),
                               clock: clock.wallClock),
            usage: UsageFlusher(recorder: recorder, store: store, logger: logger), webhooks: webhooks, logs: logs)
        do {
            try await index.attach(to: store)
            _ = try await governance.bootstrapIfEmpty()
            let r = try await body(h)
            await webhooks.shutdown()
            await store.close()
            cleanup()
            return r
        } catch {
            await webhooks.shutdown()
            await store.close()
            cleanup()
            throw error
        }
    }

    /// An identity in production (its keys are live) that may hold payments scopes.
    func identity(name: String = "payments-api", environment: String = "production") async throws -> Identity {
        try await governance.createIdentity(NewIdentity(
            name: name, kind: .service, businessOwner: "payments", technicalOwner: "alice@example.com", purpose: "charges cards",
            environment: environment, dataClassification: .confidential, labels: [:], allowedScopes: ["payments:read", "payments:write"]),
            actor: Self.admin)
    }

    func issue(_ identity: IdentityID, scopes: [String] = ["payments:read"], environment: KeyEnvironment = .live, ttl: Int? = nil,
               derivedFrom: KeyID? = nil, actor: Principal = admin) async throws -> (APIKey, Secret) {
        try await governance.issueKey(NewKey(identityID: identity, scopes: scopes, environment: environment, ttlSeconds: ttl, expiresAt: nil,
                                             name: nil, nonExpiring: false, exceptionReason: nil, derivedFrom: derivedFrom), actor: actor)
    }

    /// Verify as the hot path answers it (the index the store's change feed keeps current).
    func verify(_ secret: Secret, scopes: [String] = [], source: VerifySource? = nil) throws -> VerifyOutcome {
        try verifier.verify(secret.reveal(), required: scopes.compactMap(Scope.init), source: source)
    }

    /// A leak report of `secret` as intake receives it: plaintext (the reporter held it) or its
    /// digest only.
    func report(_ secret: Secret, plaintext: Bool = true, source: String = "scanner", path: String = "config/app.env", firstSeen: Date? = nil,
                receivedAt: Date? = nil, actor: Principal = reporter) async throws -> ExposureOutcome {
        let record = ExposureRecord(source: source, ruleID: "keyward.api-key", provider: "keyward", digest: plaintext ? nil : secret.sha256.hex,
                                    scannerFingerprint: nil, path: path, line: 3, commit: nil, url: nil, firstSeen: firstSeen)
        let incoming = IncomingExposure(record: record, matchDigest: plaintext ? secret.sha256 : nil,
                                        serverFingerprint: plaintext ? governance.fingerprints.fingerprint(secret) : nil,
                                        evidence: plaintext ? .plaintext : .none)
        let outcomes = try await governance.intake([incoming], source: source, receivedAt: receivedAt ?? clock.now, actor: actor)
        guard let outcome = outcomes.first, outcomes.count == 1 else { throw HarnessError("intake returned \(outcomes.count) outcomes") }
        return outcome
    }

    /// Every audit record, in chain order.
    func audit() async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        try await store.forEachAudit { records.append($0); return true }
        return records
    }

    /// The audit records after `seq`, as (action, target) pairs.
    func audit(after seq: Int64) async throws -> [AuditRecord] {
        try await audit().filter { $0.seq > seq }
    }

    func keyIDs(of identity: IdentityID) async throws -> [KeyID] {
        try await store.read { try await store.keyIDs(of: identity, in: $0) }
    }

    func auditHead() async throws -> Int64 { try await store.auditHead().seq }

    /// Events queued in the outbox for `webhook`, oldest first (in no given order within one transaction).
    func queued(_ webhook: WebhookID) async throws -> [WebhookDelivery] {
        try await store.deliveries(of: webhook, limit: 500).sorted { $0.createdAt < $1.createdAt }
    }

    /// A subscription to every event, on a URL nothing listens on (the outbox is read, not sent).
    func subscribeAll(url: String = "http://127.0.0.1:9/hook") async throws -> WebhookRecord {
        try await governance.createWebhook(NewWebhook(url: url, events: ["*"]), actor: Self.admin).0
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Decodes Governance's stored JSON (an incident's blast radius and hunt).
func decodeStored<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    let d = JSONDecoder()
    d.keyDecodingStrategy = .convertFromSnakeCase
    d.dateDecodingStrategy = .iso8601
    return try d.decode(T.self, from: Data(json.utf8))
}
