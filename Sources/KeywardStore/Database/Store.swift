import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeywardCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization

/// The only place that speaks SQL. One code path for SQLite and PostgreSQL (SQLKit); every
/// write runs in a transaction that also appends its audit records (fail closed), then
/// publishes what changed on the `feed`.
package final class Store: Sendable {
    package let isPostgres: Bool
    package let feed = ChangeFeed()
    package let clock: WallClock
    private let pool: AsyncPool<any StoreConnection>
    private let connections: [any StoreConnection]
    private let logger: Logger
    /// Names this process in cluster notices (PostgreSQL only), so it skips its own.
    let nodeID: String
    private let listener = Mutex<ClusterListener?>(nil)

    private init(isPostgres: Bool, connections: [any StoreConnection], clock: WallClock, logger: Logger, nodeID: String = Store.newNodeID()) {
        self.isPostgres = isPostgres
        self.nodeID = nodeID
        self.pool = AsyncPool(connections)
        self.connections = connections
        self.clock = clock
        self.logger = logger
    }

    private static func newNodeID() -> String { String(UInt64.random(in: .min ... .max), radix: 16) }

    /// Opens (creating if needed) and migrates the store.
    package static func open(_ config: StoreConfiguration, clock: WallClock = .system, logger: Logger) async throws -> Store {
        var sqlLogger = logger
        sqlLogger.logLevel = max(logger.logLevel, .notice) // never log statements (binds may be sensitive)
        switch config.backend {
        case .sqlite(let path):
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            try createPrivately(path)
            let conn: SQLiteConnection
            do {
                conn = try await SQLiteConnection.open(storage: .file(path: path), logger: sqlLogger).get()
            } catch {
                throw StoreError.unavailable("cannot open SQLite file \(path): \(error)")
            }
            let db = conn.sql(queryLogLevel: nil)
            // temp_store=MEMORY: a multi-row insert inside a transaction keeps its statement journal
            // in memory instead of creating, writing and deleting a temporary file each time (the
            // token endpoint's group commit did that for every batch).
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000", "PRAGMA foreign_keys=ON", "PRAGMA temp_store=MEMORY"] {
                try await db.raw(SQLQueryString(pragma)).run()
            }
            let store = Store(isPostgres: false, connections: [SQLiteStoreConnection(db: db, closer: { try? await conn.close().get() })],
                              clock: clock, logger: logger)
            try await store.migrate()
            return store
        case .postgres(let url):
            let pgConfig: SQLPostgresConfiguration
            do { pgConfig = try SQLPostgresConfiguration(url: url) } catch {
                throw StoreError.configuration("cannot parse the PostgreSQL URL")
            }
            let nodeID = Store.newNodeID()
            var connections: [any StoreConnection] = []
            for i in 0..<max(1, config.postgresPoolSize) {
                do {
                    connections.append(try await PostgresStoreConnection.connect(configuration: pgConfig.coreConfiguration, node: nodeID, id: i, logger: sqlLogger))
                } catch {
                    for c in connections { await c.close() }
                    throw StoreError.unavailable("cannot connect: \(PostgresConnectFailure.describe(error, url: url))")
                }
            }
            let store = Store(isPostgres: true, connections: connections, clock: clock, logger: logger, nodeID: nodeID)
            do {
                try await store.migrate()
                let listener = ClusterListener(configuration: pgConfig.coreConfiguration, nodeID: store.nodeID, logger: sqlLogger)
                try await listener.start(store: store)
                store.listener.withLock { $0 = listener }
            } catch {
                await store.close()
                throw error
            }
            return store
        }
    }

    /// Creates an absent SQLite file with mode 0600 before SQLite opens it, whatever the
    /// folder's mode or the umask: SQLite gives the `-wal` and `-shm` files it creates the
    /// main file's mode, so all three stay private. An existing file is left as it is (the
    /// server refuses to start on one others can read: `DataFolder.checkStoreFiles`).
    private static func createPrivately(_ path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { Glibc.close(fd); return }
        guard errno == EEXIST else {
            throw StoreError.unavailable("cannot create SQLite file \(path): \(String(cString: strerror(errno)))")
        }
    }

    package func close() async {
        if let l = listener.withLock({ l in defer { l = nil }; return l }) { await l.stop() }
        _ = await pool.drain()
        for c in connections { await c.close() }
    }

    /// Runs `body` with a connection (no transaction).
    package func read<R: Sendable>(_ body: (any SQLDatabase) async throws -> R) async throws -> R {
        let slot = await pool.acquire()
        do {
            let r = try await body(try await slot.database())
            await pool.release(slot)
            return r
        } catch {
            await pool.release(slot)
            throw reported(error)
        }
    }

    /// Runs `body` in a write transaction that holds the audit head, appends the audit
    /// records `body` asked for, commits, then publishes the changes.
    package func write<R: Sendable>(_ body: (WriteTransaction) async throws -> R) async throws -> R {
        let slot = await pool.acquire()
        let db: any SQLDatabase
        do { db = try await slot.database() } catch {
            await pool.release(slot)
            throw reported(error)
        }
        var began = false
        do {
            try await db.raw(isPostgres ? "BEGIN" : "BEGIN IMMEDIATE").run()
            began = true
            // Every writer takes the audit head first: writes are serialised, the chain is linear.
            let lock = isPostgres ? " FOR UPDATE" : ""
            guard let head = try await db.raw(SQLQueryString("SELECT seq, hash FROM audit_head WHERE id = 1" + lock)).first() else {
                throw StoreError.corrupt("audit head row is missing")
            }
            let tx = WriteTransaction(
                db: db, now: clock.now(),
                headSeq: try head.decode(column: "seq", as: Int64.self),
                headHash: try head.decode(column: "hash", as: String.self)
            )
            let result = try await body(tx)
            try await tx.flushAudit()
            if isPostgres, let payload = ClusterNotice.payload(node: nodeID, changes: tx.changes) {
                // Delivered to the other nodes only if, and when, this transaction commits.
                try await db.raw("SELECT pg_notify(\(bind: ClusterNotice.channel), \(bind: payload))").run()
            }
            try await db.raw("COMMIT").run()
            began = false
            await pool.release(slot)
            feed.publish(tx.changes)
            return result
        } catch {
            if began { try? await db.raw("ROLLBACK").run() }
            await pool.release(slot)
            throw reported(error)
        }
    }

    /// A driver error classified (`StoreFault`): a fault becomes `StoreError.unavailable` and
    /// is logged (the client only sees 503); anything else is returned as it came.
    private func reported(_ error: any Error) -> any Error {
        guard let fault = StoreFault.classify(error) else { return error }
        logger.warning("store fault", metadata: ["error": "\(String(describing: fault).prefix(300))"])
        return fault
    }
}

/// A connection as repository functions take it, so callers outside the store can pass one
/// along (`store.read { db in … }`) without speaking SQL themselves.
package typealias StoreDB = any SQLDatabase
