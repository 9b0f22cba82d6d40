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
            case .webhookQueued: continue // local wake-up only
            }
            guard seen.insert(id).inserted else { continue }
            length += id.count + 1
            if length > maxPayload { return node + " *" }
            ids.append(id)
        }
        return ids.isEmpty ? nil : node + " " + ids.joined(separator: ",")
    }

    /// The node that sent a payload, and what it names (nil ids: reload everything).
    static func parse(_ payload: String) -> (node: Substring, ids: [Substring]?)? {
        guard let space = payload.firstIndex(of: " ") else { return nil }
        let node = payload[..<space]
        let rest = payload[payload.index(after: space)...]
        if rest == "*" { return (node, nil) }
        return (node, rest.split(separator: ","))
    }
}

/// The LISTEN side: one dedicated connection, reconnected with a 1 s pause if it drops.
final class ClusterListener: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let nodeID: String
    private let logger: Logger
    private let state = Mutex<(task: Task<Void, Never>?, connection: PostgresConnection?, stopped: Bool)>((nil, nil, false))

    init(configuration: PostgresConnection.Configuration, nodeID: String, logger: Logger) {
        self.configuration = configuration
        self.nodeID = nodeID
        self.logger = logger
    }

    /// Starts listening and returns once the first LISTEN is in place, so no commit after
    /// `start` returns can be missed.
    func start(store: Store) async throws {
        let (ready, readyCont) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        let task = Task { [self] in
            var first = true
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
                        if first {
                            first = false
                            readyCont.yield(.success(()))
                        } else {
                            logger.notice("cluster listener reconnected; reloading every key")
                            try await store.publishReloadAll()
                        }
                        for try await n in notices { await self.handle(n.payload, store: store) }
                    }
                    try? await conn.close()
                } catch {
                    if first {
                        readyCont.yield(.failure(error))
                        return
                    }
                    if state.withLock({ $0.stopped }) { return }
                    logger.warning("cluster listener lost its connection; retrying in 1 s", metadata: ["error": "\(String(describing: error).prefix(200))"])
                }
                state.withLock { $0.connection = nil }
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

    private func handle(_ payload: String, store: Store) async {
        guard let (node, ids) = ClusterNotice.parse(payload), node != nodeID else { return }
        do {
            guard let ids else { try await store.publishReloadAll(); return }
            var changes: [StoreChange] = []
            for id in ids {
                if let k = KeyID(String(id)) {
                    if let key = try await store.key(k) { changes.append(.key(key)) }
                } else if let i = IdentityID(String(id)) {
                    if let idn = try await store.identity(i) { changes.append(.identity(idn)) }
                }
            }
            store.feed.publish(changes)
        } catch {
            logger.warning("cluster listener could not reload a change; reloading every key", metadata: ["error": "\(String(describing: error).prefix(200))"])
            try? await store.publishReloadAll()
        }
    }
}

extension Store {
    /// Publishes every key on the local feed (after a gap in the cluster notices).
    func publishReloadAll() async throws {
        try await forEachKey { page in feed.publish(page.map { .key($0) }) }
    }
}
