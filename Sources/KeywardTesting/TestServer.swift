import AsyncHTTPClient
import Crypto
import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardServer
import KeywardStore
import KeywardVerify
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// A real Keyward server in this process, listening on 127.0.0.1:<free port>, on a real SQLite
/// file (or PostgreSQL). Requests go over a real socket.
package final class TestServer: Sendable {
    package let baseURL: String
    package let adminKey: String
    package let runtime: KeywardRuntime
    package let logs: LogCapture
    package let dataDirectory: String
    /// Every body received by `request`, for leak checks (issuing responses are marked).
    package let transcript = Mutex<[(issuing: Bool, body: String)]>([])
    package let ledger = SecretLedger()

    init(baseURL: String, adminKey: String, runtime: KeywardRuntime, logs: LogCapture, dataDirectory: String) {
        self.baseURL = baseURL
        self.adminKey = adminKey
        self.runtime = runtime
        self.logs = logs
        self.dataDirectory = dataDirectory
        ledger.record(adminKey)
    }

    /// Starts a server, runs `body`, then shuts the server down gracefully. On a store another
    /// node already initialised, pass that node's `adminKey`.
    package static func with<R: Sendable>(
        database: String? = nil, adminKey: String? = nil, clock: ManualClock? = nil, configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> R
    ) async throws -> R {
        let dir = try TempDirectory("keyward-server")
        var config = ServerConfiguration()
        config.ruleCacheDirectory = KeywardBinary.ruleCache
        config.port = 0
        config.dataDirectory = dir.path
        config.databaseURL = database
        config.usageFlushInterval = .milliseconds(100)
        if let clock { config.clock = clock.wallClock }
        // Nodes of one cluster share the HMAC key, as in production (it opens the sealed token-signing
        // keys and webhook secrets, and makes leak fingerprints agree): one key file per database.
        if let database {
            config.hmacKeyFile = try clusterHMACKeyFile(database)
            // A loaded 2-core test machine can delay a heartbeat past the production bound (2 s), which
            // turns verify into 503 in tests about something else; ClusterStalenessTests sets the real bound.
            config.maxStaleness = .seconds(60)
        }
        configure(&config)
        let logs = LogCapture()
        let (runtime, secret) = try await KeywardRuntime.start(config, logger: logs.logger())
        guard let admin = secret?.reveal() ?? adminKey else {
            await runtime.shutdown()
            throw KeywardError(.internalError, "the store was not new: pass the admin key of the node that created it")
        }
        let (portStream, portCont) = AsyncStream.makeStream(of: Int.self)
        let group = try runtime.makeServiceGroup(signals: false) { port in portCont.yield(port) }
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var it = portStream.makeAsyncIterator()
            guard let port = await it.next() else { throw KeywardError(.internalError, "server did not start") }
            let server = TestServer(baseURL: "http://127.0.0.1:\(port)", adminKey: admin, runtime: runtime, logs: logs,
                                    dataDirectory: dir.path)
            do {
                let r = try await body(server)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                await runtime.shutdown()
                dir.remove()
                return r
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                await runtime.shutdown()
                dir.remove()
                throw error
            }
        }
    }

    package struct Reply: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: Data
        package var text: String { String(decoding: body, as: UTF8.self) }
        package func json() -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
        package func decode<T: Decodable>(_ t: T.Type) throws -> T { try WireCoding.decoder().decode(T.self, from: body) }
    }

    /// A raw request over the socket. `token: nil` sends no Authorization header; the default is the admin key.
    package func request(_ method: String, _ path: String, body: String? = nil, token: String?? = .some(nil),
                         headers extra: [(String, String)] = [], issuing: Bool = false) async throws -> Reply {
        var req = HTTPClientRequest(url: baseURL + path)
        req.method = HTTPMethod(rawValue: method)
        let bearer: String? = { if case .some(let t) = token { return t ?? adminKey } else { return nil } }()
        if let bearer { req.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            req.headers.add(name: "Content-Type", value: "application/json")
            req.body = .bytes(ByteBuffer(string: body))
        }
        for (k, v) in extra { req.headers.replaceOrAdd(name: k, value: v) }
        // A bound against a hang, not a speed check: on a loaded 2-core CI machine (PostgreSQL, chromium and
        // the rest of the suite at once) a serialised write behind five others has taken over 30 s.
        let resp = try await HTTPClient.shared.execute(req, timeout: .seconds(120))
        let buf = try await resp.body.collect(upTo: 16 * 1024 * 1024)
        let reply = Reply(status: Int(resp.status.code), headers: resp.headers, body: Data(buf.readableBytesView))
        transcript.withLock { $0.append((issuing, reply.text)) }
        return reply
    }

    /// Sends a request without Authorization.
    package func anonymous(_ method: String, _ path: String, body: String? = nil) async throws -> Reply {
        try await request(method, path, body: body, token: .none)
    }

    /// A JSON body from an encodable value.
    package static func json<T: Encodable>(_ v: T) -> String {
        String(decoding: try! WireCoding.encoder().encode(v), as: UTF8.self)
    }

    /// Creates an identity that may hold `scopes`; returns its id.
    package func createIdentity(name: String = "payments-api", technicalOwner: String? = "alice@example.com", purpose: String? = "charges cards",
                                scopes: [String] = ["payments:read", "payments:write"], environment: String = "production",
                                kind: String = "service") async throws -> String {
        var obj: [String: Any] = ["name": name, "kind": kind, "environment": environment, "allowed_scopes": scopes, "business_owner": "payments"]
        if let technicalOwner { obj["technical_owner"] = technicalOwner }
        if let purpose { obj["purpose"] = purpose }
        let r = try await request("POST", "/v1/identities", body: String(decoding: try JSONSerialization.data(withJSONObject: obj), as: UTF8.self))
        guard r.status == 201, let id = r.json()["id"] as? String else { throw KeywardError(.internalError, "create identity: \(r.status) \(r.text)") }
        return id
    }

    /// Issues a key; records its plaintext in the ledger. Returns (id, plaintext).
    package func issueKey(identity: String, scopes: [String] = ["payments:read"], environment: String = "live", ttl: Int? = nil,
                          extra: [String: Any] = [:]) async throws -> (id: String, key: String) {
        var obj: [String: Any] = ["identity_id": identity, "scopes": scopes, "environment": environment]
        if let ttl { obj["ttl_seconds"] = ttl }
        obj.merge(extra) { $1 }
        let r = try await request("POST", "/v1/keys", body: String(decoding: try JSONSerialization.data(withJSONObject: obj), as: UTF8.self), issuing: true)
        guard r.status == 201, let id = r.json()["id"] as? String, let key = r.json()["key"] as? String else {
            throw KeywardError(.internalError, "issue key: \(r.status) \(r.text)")
        }
        ledger.record(key)
        return (id, key)
    }

    /// Verifies with the admin bearer; returns the decoded JSON.
    package func verify(_ key: String, scopes: [String]? = nil) async throws -> [String: Any] {
        var obj: [String: Any] = ["key": key]
        if let scopes { obj["scopes"] = scopes }
        let r = try await request("POST", "/v1/keys/verify", body: String(decoding: try JSONSerialization.data(withJSONObject: obj), as: UTF8.self))
        guard r.status == 200 else { throw KeywardError(.internalError, "verify: \(r.status) \(r.text)") }
        return r.json()
    }

    /// Writes the verify usage recorded so far, now, as the flusher's timer would (instead of
    /// waiting for it); returns how many keys' usage it wrote.
    @discardableResult
    package func flushUsage() async -> Int { await runtime.flushUsage() }

    /// Delivers every webhook due by `now` (default: the server's clock) once, as the
    /// dispatcher's timer would, and returns what it did. With a `ManualClock`, advancing it
    /// makes a retry due: no test waits for a backoff.
    @discardableResult
    package func drainWebhooks(now: Date? = nil) async -> DrainReport { await runtime.drainWebhooks(now: now) }

    /// Bodies of every response except those that issued a key.
    package var nonIssuingBodies: String {
        transcript.withLock { $0.filter { !$0.issuing }.map(\.body).joined(separator: "\n") }
    }
}

extension TestServer {
    /// Every audit record, in chain order.
    package func auditRecords() async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        try await runtime.store.forEachAudit { records.append($0); return true }
        return records
    }

    /// Whether the audit chain verifies, link by link.
    package func auditChainIsValid() async throws -> Bool {
        var v = AuditChainVerifier()
        for r in try await auditRecords() { _ = v.feed(r) }
        if case .ok = v.finish() { return true }
        return false
    }

    /// Where any plaintext of the suite was found: the SQLite file and its WAL, every log
    /// line, every response body except those that issued a key, every audit row.
    /// Empty means no leak (case 57, 58 of docs/security-cases.md).
    package func leakReport() async throws -> [String] {
        var found: [String] = []
        for name in ["keyward.sqlite", "keyward.sqlite-wal", "keyward.sqlite-shm"] {
            let path = (dataDirectory as NSString).appendingPathComponent(name)
            if !ledger.leaks(inFile: path).isEmpty { found.append(name) }
        }
        if !ledger.leaks(in: logs.all.joined(separator: "\n")).isEmpty { found.append("server log") }
        if !ledger.leaks(in: nonIssuingBodies).isEmpty { found.append("a response body") }
        let audit = try await auditRecords().map { "\($0.actor) \($0.action) \($0.target) \($0.details)\n" }.joined()
        if !ledger.leaks(in: audit).isEmpty { found.append("an audit record") }
        return found
    }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes; returns how long it took,
/// or nil on timeout. For propagation between processes or nodes, where "eventually" is the
/// contract and the figure is reported, not asserted.
package func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Duration? {
    let clock = ContinuousClock()
    let start = clock.now
    while true {
        if try await condition() { return clock.now - start }
        // Checked once more after the deadline: a task that slept past it on a busy machine
        // still sees what happened meanwhile.
        if clock.now - start >= timeout { return nil }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// The HMAC key file every in-process node on `database` uses, created (0600) on first use in a
/// folder that lives as long as the test process (removed at its exit).
private func clusterHMACKeyFile(_ database: String) throws -> String {
    try clusterKeys.withLock { dir in
        if dir == nil {
            let path = NSTemporaryDirectory() + "keyward-cluster-keys-\(getpid())-\(UInt64.random(in: 0 ... .max))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            dir = path
            // Key material: removed when the test process exits, not left in the temp folder.
            atexit { if let d = clusterKeys.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: d) } }
        }
        let digest = SHA256.hash(data: Array(database.utf8)).map { String(format: "%02x", $0) }.joined().prefix(16)
        let file = dir! + "/" + digest + ".key"
        if !FileManager.default.fileExists(atPath: file) {
            guard FileManager.default.createFile(atPath: file, contents: Data(FingerprintKey.generate()), attributes: [.posixPermissions: 0o600]) else {
                throw KeywardError(.internalError, "cannot write the cluster HMAC key file")
            }
        }
        return file
    }
}

private let clusterKeys = Mutex<String?>(nil)
