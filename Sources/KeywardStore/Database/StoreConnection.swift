import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import Synchronization

/// One handle of the store's pool: lent to one caller at a time, which asks it for the
/// database to run its statements on.
protocol StoreConnection: Sendable {
    /// The database to use now; a PostgreSQL connection the server or the network closed is
    /// made again first. Throws `StoreError.unavailable` when that fails.
    func database() async throws -> any SQLDatabase
    func close() async
}

/// The SQLite file: one connection, never lost.
struct SQLiteStoreConnection: StoreConnection {
    let db: any SQLDatabase
    let closer: @Sendable () async -> Void
    func database() async throws -> any SQLDatabase { db }
    func close() async { await closer() }
}

/// One pooled PostgreSQL connection (`application_name` `keyward-<node>`, so an operator finds
/// it in `pg_stat_activity`). A connection found closed when the slot is lent is replaced, so
/// a terminated backend, a failover or a restarted server costs the callers of that moment a
/// 503, not every caller until the process restarts.
final class PostgresStoreConnection: StoreConnection {
    private let configuration: PostgresConnection.Configuration
    private let id: Int
    private let logger: Logger
    private let current: Mutex<PostgresConnection?>

    private init(configuration: PostgresConnection.Configuration, id: Int, logger: Logger, connection: PostgresConnection) {
        self.configuration = configuration
        self.id = id
        self.logger = logger
        self.current = Mutex(connection)
    }

    static func applicationName(node: String) -> String { "keyward-" + node }

    /// Connects slot `id`. Throws the driver's error.
    static func connect(configuration: PostgresConnection.Configuration, node: String, id: Int, logger: Logger) async throws -> PostgresStoreConnection {
        var configuration = configuration
        configuration.options.additionalStartupParameters.append(("application_name", applicationName(node: node)))
        let conn = try await open(configuration, id: id, logger: logger)
        return PostgresStoreConnection(configuration: configuration, id: id, logger: logger, connection: conn)
    }

    private static func open(_ configuration: PostgresConnection.Configuration, id: Int, logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: id, logger: logger).get()
    }

    func database() async throws -> any SQLDatabase {
        // The pool lends a slot to one caller at a time: no other task reconnects it meanwhile.
        if let conn = current.withLock({ $0 }), !conn.isClosed { return GuardedPostgres(connection: conn).sql(queryLogLevel: nil) }
        current.withLock { $0 = nil }
        let conn: PostgresConnection
        do {
            conn = try await Self.open(configuration, id: id, logger: logger)
        } catch {
            throw StoreError.unavailable("cannot reconnect to PostgreSQL: \(String(describing: error).prefix(200))")
        }
        logger.notice("PostgreSQL connection replaced", metadata: ["slot": "\(id)"])
        current.withLock { $0 = conn }
        return GuardedPostgres(connection: conn).sql(queryLogLevel: nil)
    }

    func close() async {
        if let conn = current.withLock({ c in defer { c = nil }; return c }) { try? await conn.close() }
    }
}

/// A PostgreSQL connection on which a statement never waits forever.
///
/// PostgresNIO 1.33 writes a query to the connection's channel with no write promise; once
/// the channel has closed its handlers are gone, the query's own promise is never completed
/// and its caller waits forever (vapor/postgres-nio#487, fixed and then reverted in #501).
/// Here the check and the write both run on the connection's event loop, where the channel
/// closes, so nothing slips between them: a statement on a closed connection fails at once
/// with `ChannelError.ioOnClosedChannel` (a store fault: 503), and one written before the
/// close is failed by the driver's own clean-up.
struct GuardedPostgres: PostgresDatabase {
    let connection: PostgresConnection

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }

    func send(_ request: any PostgresRequest, logger: Logger) -> EventLoopFuture<Void> {
        withConnection { $0.send(request, logger: logger) }
    }

    func withConnection<T>(_ closure: @escaping (PostgresConnection) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let connection = connection
        if connection.eventLoop.inEventLoop { return Self.ifOpen(connection, closure) }
        // The closure runs exactly once, on the event loop; PostgresKit's closures are not `@Sendable`.
        nonisolated(unsafe) let closure = closure
        let promise = connection.eventLoop.makePromise(of: T.self)
        nonisolated(unsafe) let p = promise
        connection.eventLoop.execute { Self.ifOpen(connection, closure).cascade(to: p) }
        return promise.futureResult
    }

    private static func ifOpen<T>(_ connection: PostgresConnection, _ closure: (PostgresConnection) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        guard !connection.isClosed else { return connection.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        return closure(connection)
    }
}
