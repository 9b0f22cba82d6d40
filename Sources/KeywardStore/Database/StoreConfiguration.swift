import Foundation

/// Where the store lives. Default: SQLite file `keyward.sqlite` in the data folder
/// (WAL, synchronous=FULL, busy_timeout 5 s). `postgres://…` URLs select PostgreSQL.
package struct StoreConfiguration: Sendable {
    package enum Backend: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    package var backend: Backend
    /// PostgreSQL connections kept open (SQLite always uses one serialised connection).
    package var postgresPoolSize: Int

    package init(backend: Backend, postgresPoolSize: Int = 4) {
        self.backend = backend
        self.postgresPoolSize = postgresPoolSize
    }

    package static func sqlite(dataDirectory: String) -> StoreConfiguration {
        StoreConfiguration(backend: .sqlite(path: (dataDirectory as NSString).appendingPathComponent("keyward.sqlite")))
    }

    /// Parses `--database`: a `postgres://` / `postgresql://` URL or a `sqlite:` path.
    package static func parse(databaseURL: String) throws -> StoreConfiguration {
        if databaseURL.hasPrefix("postgres://") || databaseURL.hasPrefix("postgresql://") || databaseURL.hasPrefix("postgres+tcp://") {
            let url = databaseURL.hasPrefix("postgresql://") ? "postgres://" + databaseURL.dropFirst("postgresql://".count) : databaseURL
            return StoreConfiguration(backend: .postgres(url: url))
        }
        if databaseURL.hasPrefix("sqlite:") {
            let path = String(databaseURL.dropFirst("sqlite:".count)).replacingOccurrences(of: "//", with: "", options: .anchored)
            guard !path.isEmpty else { throw StoreError.configuration("sqlite: URL has no path") }
            return StoreConfiguration(backend: .sqlite(path: path))
        }
        throw StoreError.configuration("--database must be a postgres:// URL or sqlite:PATH")
    }
}

package enum StoreError: Error, CustomStringConvertible {
    case configuration(String)
    case unavailable(String)
    case corrupt(String)

    package var description: String {
        switch self {
        case .configuration(let m): return m
        case .unavailable(let m): return "store unavailable: \(m)"
        case .corrupt(let m): return "store corrupt: \(m)"
        }
    }
}
