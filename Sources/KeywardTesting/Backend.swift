import Foundation
import KeywardCore
import KeywardStore
import Logging

/// The two stores every store-touching suite runs on, unchanged: a real SQLite file in a temp
/// folder and a database of the process-wide real PostgreSQL (`PostgresServer`). Pass
/// `Backend.allCases` as a test's `arguments`.
package enum Backend: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres
    package var description: String { rawValue }

    /// A new, migrated store on this backend, and what removes it afterwards.
    package func open(clock: WallClock = .system) async throws -> (Store, @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let dir = try TempDirectory("keyward-store")
            let store = try await Store.open(.sqlite(dataDirectory: dir.path), clock: clock, logger: Logger(label: "test"))
            return (store, { dir.remove() })
        case .postgres:
            let url = try PostgresServer.instance().createDatabase()
            let store = try await Store.open(try StoreConfiguration.parse(databaseURL: url), clock: clock, logger: Logger(label: "test"))
            return (store, {})
        }
    }

    /// For a `TestServer`: nil is SQLite in the server's data folder.
    package func databaseURL() throws -> String? {
        self == .postgres ? try PostgresServer.instance().createDatabase() : nil
    }
}
