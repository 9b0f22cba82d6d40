import Foundation
import KeywardCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import Synchronization

/// Change propagation between nodes sharing one PostgreSQL database.
///
/// Every write transaction that changed something runs `pg_notify('keyward_changes', …)` before
/// its COMMIT; PostgreSQL delivers the notice only if, and as soon as, the transaction commits.
/// Every node LISTENs on a connection of its own, reloads the rows named in the notice and
/// publishes them on its local `ChangeFeed`, exactly as a local write would. A notice names the
/// sending node, so a node ignores its own (it already applied them in-process).
/// After a lost listen connection the node reconnects and reloads every key, because
/// notices sent while it was away are gone.
enum ClusterNotice {
    static let channel = "keyward_changes"
    /// PostgreSQL's NOTIFY payload limit is 8000 bytes; beyond this we ask for a full reload.
    static let maxPayload = 7_900

    /// `<node> <id>,<id>,…` or `<node> *` when the list would not fit.
    static func payload(node: String, changes: [StoreChange]) -> String? {
        var ids: [String] = []
        var seen = Set<String>()
        var length = node.count + 1
        for c in changes {
            let id: String
            switch c {
            case .key(let k): id = k.id.description
            case .identity(let i): id = i.id.description
            case .client(let c): id = c.id.description
            case .token(let t): id = t.id.description
            case .signingKeys: id = ClusterNotice.signingKeys
            case .webhookQueued: continue // local wake-up only
            }
            guard seen.insert(id).inserted else { continue }
            length += id.count + 1
            if length > maxPayload { return node + " *" }
            ids.append(id)
        }
        return ids.isEmpty ? nil : node + " " + ids.joined(separator: ",")
    }

    /// The id a notice uses for "the signing keys changed".
    static let signingKeys = "signing-keys"

    /// What a notice body says.
    enum Body: Equatable {
        case changes([Substring])
        case reloadAll
        /// A heartbeat; its sender's monotonic send time (`FeedFreshness.now`).
        case ping(Int64)
    }

    /// `<node> ping:<stamp>`: sent by a node to itself, on the same channel as the changes so
    /// it comes back behind every change committed before it was sent.
    static func ping(node: String, stamp: Int64) -> String { node + " ping:" + String(stamp) }

    /// The node that sent a payload, and what it says.
    static func parse(_ payload: String) -> (node: Substring, body: Body)? {
        guard let space = payload.firstIndex(of: " ") else { return nil }
        let node = payload[..<space]
        let rest = payload[payload.index(after: space)...]
        if rest == "*" { return (node, .reloadAll) }
        if rest.hasPrefix("ping:") {
            guard let stamp = Int64(rest.dropFirst("ping:".count)) else { return nil }
            return (node, .ping(stamp))
        }
        return (node, .changes(rest.split(separator: ",")))
    }
}

/// The LISTEN side: one dedicated connection (application_name `keyward-listen-<node>`),
/// reconnected with a 1 s pause if it drops, and a heartbeat on it that keeps the feed's
/// `FeedFreshness` current (see there for why an echoed ping proves freshness).
final class ClusterListener: Sendable {
    /// How often a ping is sent. A node is at most this much plus one round trip behind when
    /// healthy, well inside any sensible staleness bound (`VerifierConfiguration.maxStaleness`).
    static let heartbeatInterval: Duration = .milliseconds(250)
    /// A connection whose pings have not come back for this long is dropped and made again
    /// (a half-open TCP connection would otherwise hang until the kernel gives up on it).
    static let echoTimeout: Duration = .seconds(5)

    private let configuration: PostgresConnection.Configuration
    private let nodeID: String
    private let logger: Logger
    private let state = Mutex<(task: Task<Void, Never>?, connection: PostgresConnection?, stopped: Bool)>((nil, nil, false))

    init(configuration: PostgresConnection.Configuration, nodeID: String, logger: Logger) {
        var configuration = configuration
        configuration.options.additionalStartupParameters.append(("application_name", Self.applicationName(node: nodeID)))
        self.configuration = configuration
        self.nodeID = nodeID
        self.logger = logger
    }

    static func applicationName(node: String) -> String { "keyward-listen-" + node }

    /// Starts listening and returns once the first LISTEN is in place and the first ping has
    /// come back, so no commit after `start` returns can be missed and the node starts fresh.
    func start(store: Store) async throws {
        let freshness = store.feed.freshness
        freshness.enterCluster(applicationName: Self.applicationName(node: nodeID))
        let (ready, readyCont) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        let task = Task { [self] in
            var connections = 0
            while !(state.withLock { $0.stopped }) {
                do {
                    let conn = try await PostgresConnection.connect(
                        on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 9_999, logger: logger
                    ).get()
                    let stopped = state.withLock { s -> Bool in
                        if !s.stopped { s.connection = conn }
                        return s.stopped
                    }
                    if stopped { try? await conn.close(); return }
                    try await conn.listen(on: ClusterNotice.channel) { notices in
                        connections += 1
                        freshness.setConnected(true)
                        if connections > 1 {
                            // Notices sent while this node was away are gone: reload every key
                            // before a ping on this connection can mark the node fresh again (case 52).
                            logger.notice("cluster listener reconnected; reloading every key")
                            try await store.publishReloadAll()
                            freshness.noteReconnect()
                        }
                        try await follow(conn, notices, store: store) {
                            readyCont.yield(.success(()))
                            readyCont.finish()
                        }
                    }
                } catch {
                    if freshness.staleness() == nil {
                        // Never fresh: the node cannot start.
                        readyCont.yield(.failure(error))
                        readyCont.finish()
                        return
                    }
                    if state.withLock({ $0.stopped }) { return }
                    logger.warning("cluster listener lost its connection; retrying in 1 s", metadata: ["error": "\(String(describing: error).prefix(200))"])
                }
                freshness.setConnected(false)
                if let conn = state.withLock({ s in defer { s.connection = nil }; return s.connection }) { try? await conn.close() }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        state.withLock { $0.task = task }
        for await r in ready {
            try r.get()
            return
        }
    }

    func stop() async {
        let (task, conn) = state.withLock { s in
            s.stopped = true
            return (s.task, s.connection)
        }
        if let conn { try? await conn.close() }
        task?.cancel()
        await task?.value
    }

    private enum LostFeed: Error { case closed, noEcho }

    /// Applies notices in order and sends heartbeats until the connection fails or the pings
    /// stop coming back (then throws). Leaving closes the connection first, so nothing still
    /// waits on it: a statement in flight is failed by the driver's clean-up, and a ping on a
    /// connection already closed fails at once (`GuardedPostgres`).
    private func follow(_ conn: PostgresConnection, _ notices: PostgresNotificationSequence, store: Store,
                        onFresh: @escaping @Sendable () -> Void) async throws {
        let freshness = store.feed.freshness
        let db = GuardedPostgres(connection: conn).sql(queryLogLevel: nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await n in notices {
                    if let sent = try await self.handle(n.payload, store: store) {
                        freshness.markFresh(asOf: sent)
                        onFresh()
                    }
                }
                throw LostFeed.closed
            }
            group.addTask {
                while true {
                    let ping = ClusterNotice.ping(node: self.nodeID, stamp: FeedFreshness.now())
                    try await db.raw("SELECT pg_notify(\(bind: ClusterNotice.channel), \(bind: ping))").run()
                    try await Task.sleep(for: Self.heartbeatInterval)
                }
            }
            group.addTask {
                // Apart from the pings: a ping that never returns (a half-open connection) must not stop this check.
                let since = FeedFreshness.now()
                while true {
                    try await Task.sleep(for: Self.heartbeatInterval)
                    if FeedFreshness.now() - max(since, freshness.asOf) > FeedFreshness.nanoseconds(Self.echoTimeout) {
                        self.logger.warning("cluster listener: no ping came back for 5 s; reconnecting")
                        throw LostFeed.noEcho
                    }
                }
            }
            defer {
                Self.startClosing(conn)
                group.cancelAll()
            }
            _ = try await group.next()
        }
    }

    /// Closes without waiting (the synchronous overload: the caller's defer cannot await).
    private static func startClosing(_ conn: PostgresConnection) { let _: EventLoopFuture<Void> = conn.close() }

    /// Applies one notice. Returns the send stamp when it is this node's own ping. Throws when a
    /// change could not be applied: the node must not look fresh with a change missing, so the
    /// connection is dropped and made again, and every key reloaded.
    private func handle(_ payload: String, store: Store) async throws -> Int64? {
        guard let (node, body) = ClusterNotice.parse(payload) else { return nil }
        switch body {
        case .ping(let stamp): return node == nodeID ? stamp : nil
        case _ where node == nodeID: return nil // already applied in-process
        case .reloadAll: try await store.publishReloadAll()
        case .changes(let ids):
            do {
                var changes: [StoreChange] = []
                for id in ids {
                    if let k = KeyID(String(id)) {
                        if let key = try await store.key(k) { changes.append(.key(key)) }
                    } else if let i = IdentityID(String(id)) {
                        if let idn = try await store.identity(i) { changes.append(.identity(idn)) }
                    } else if let c = OAuthClientID(String(id)) {
                        if let client = try await store.client(c) { changes.append(.client(client)) }
                    } else if let t = AccessTokenID(String(id)) {
                        if let token = try await store.accessToken(t) { changes.append(.token(token)) }
                    } else if id == ClusterNotice.signingKeys {
                        changes.append(.signingKeys)
                    }
                }
                store.feed.publish(changes)
            } catch {
                logger.warning("cluster listener could not reload a change; reloading every key", metadata: ["error": "\(String(describing: error).prefix(200))"])
                try await store.publishReloadAll()
            }
        }
        return nil
    }
}

extension Store {
    /// Publishes every key on the local feed (after a gap in the cluster notices).
    func publishReloadAll() async throws {
        try await forEachKey { page in feed.publish(page.map { .key($0) }) }
        try await forEachClient { page in feed.publish(page.map { .client($0) }) }
        feed.publish(try await revokedLiveTokens().map { .token($0) })
        feed.publish([.signingKeys])
    }
}
