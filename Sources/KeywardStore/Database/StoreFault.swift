import NIOCore
import PostgresKit
import SQLiteKit

/// Sorts a database driver's error into a storage fault, which a retry may get past and the
/// server answers with 503 and `Retry-After`, or anything else, which stays what it is.
///
/// Faults (`StoreError.unavailable`):
/// - SQLite: `SQLITE_FULL`, `SQLITE_IOERR*` (EIO, ENOSPC, EFBIG from a file-size limit),
///   `SQLITE_BUSY*` (a lock still held when the 5 s busy timeout ran out), `SQLITE_LOCKED*`,
///   `SQLITE_READONLY*`, `SQLITE_CANTOPEN*`, `SQLITE_NOMEM`.
/// - PostgreSQL: a lost or closed connection; SQLSTATE class 08 (connection exception), 53
///   (insufficient resources: disk full, out of memory, too many connections), 57P (server
///   shutting down, cannot connect now), 57014 (statement timeout), 58000/58030 (system and I/O
///   error), 40001/40P01 (serialisation failure, deadlock), 25006 (read-only transaction) and
///   42501 (insufficient privilege, e.g. INSERT on the audit table revoked).
///
/// Not faults: constraint violations, corruption (`SQLITE_CORRUPT`, `SQLITE_NOTADB`, SQLSTATE
/// XX), syntax and type errors, and every error that is not the driver's (a `KeywardError`
/// thrown inside a transaction, say) — they are returned unchanged.
enum StoreFault {
    static func classify(_ error: any Error) -> (any Error)? {
        switch error {
        case let e as SQLiteError:
            return isFault(e.reason) ? StoreError.unavailable("SQLite: \(e.reason): \(e.message)") : nil
        case let e as PSQLError:
            if e.code == .server {
                let state = e.serverInfo?[.sqlState] ?? ""
                guard isFault(sqlState: state) else { return nil }
                return StoreError.unavailable("PostgreSQL \(state): \(e.serverInfo?[.message] ?? "")")
            }
            return connectionLost.contains(e.code) ? StoreError.unavailable("PostgreSQL connection: \(e.code)") : nil
        case let e as ChannelError:
            return StoreError.unavailable("database connection: \(e)")
        case let e as IOError:
            return StoreError.unavailable("database connection: \(e)")
        default:
            return nil
        }
    }

    private static let connectionLost: Set<PSQLError.Code> = [
        .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed,
    ]

    static func isFault(sqlState s: String) -> Bool {
        s.hasPrefix("08") || s.hasPrefix("53") || s.hasPrefix("57P")
            || ["57014", "58000", "58030", "40001", "40P01", "25006", "42501"].contains(s)
    }

    static func isFault(_ reason: SQLiteError.Reason) -> Bool {
        switch reason {
        case .full, .noMemory, .ioErrorNoMemory,
             .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot,
             .locked, .lockedBySharedCache,
             .readOnly, .readonlyInRecovery, .readonlyCantLock, .readonlyInRollback, .readonlyBackingMoved, .readonlyDirectory,
             .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .cantOpenUnfollowedSymlink,
             .ioError, .ioErrorFailedRead, .ioErrorIncompleteRead, .ioErrorFailedWrite, .ioErrorFailedSync, .ioErrorFailedDirSync,
             .ioErrorFailedTruncate, .ioErrorFailedStat, .ioErrorFailedUnlock, .ioErrorFailedReadLock, .ioErrorFailedDelete,
             .ioErrorFailedAccess, .ioErrorFailedLockCheck, .ioErrorFailedAdvisoryLock, .ioErrorFailedClose,
             .ioErrorFailedSharedMemOpen, .ioErrorFailedSharedMemSize, .ioErrorFailedSharedMemMap,
             .ioErrorFailedDeleteNonexistent, .ioErrorFailedMemoryMap, .ioErrorCantFindTempdir:
            return true
        default:
            // Constraint violations, corruption (including SQLITE_IOERR_DATA and _CORRUPTFS,
            // checksum and file-system corruption), misuse and schema errors.
            return false
        }
    }
}

/// Why a PostgreSQL connection could not be made, in the operator's words: where it tried and
/// what to check. Never the URL (it may hold a password) nor the driver's dump.
enum PostgresConnectFailure {
    static func describe(_ error: any Error, url: String) -> String {
        let parts = URL(string: url)
        let target = "PostgreSQL at \(parts?.host ?? "?"):\(parts?.port ?? 5432)"
        guard let e = error as? PSQLError else { return "\(target) is unreachable" }
        if e.code == .server {
            switch e.serverInfo?[.sqlState] ?? "" {
            case "28P01", "28000": return "\(target) refused the login: check the user and password in --database"
            case "3D000": return "\(target) has no such database: create it, or fix --database"
            case "57P03": return "\(target) is starting up or shutting down: retry shortly"
            case let state: return "\(target) refused the connection (SQLSTATE \(state))"
            }
        }
        let cause = e.underlying.map { String(describing: $0) } ?? ""
        if cause.contains("connectionRefused") || cause.contains("Connection refused") {
            return "\(target) is unreachable: connection refused (is PostgreSQL running there?)"
        }
        if cause.lowercased().contains("timeout") || cause.lowercased().contains("timed out") { return "\(target) is unreachable: the connection timed out" }
        if cause.contains("resolve") || cause.contains("DNS") || cause.contains("NXDOMAIN") { return "\(target) is unreachable: its host name does not resolve" }
        if e.code == .sslUnsupported { return "\(target) does not offer TLS, which --database asks for" }
        return "\(target) is unreachable (\(e.code))"
    }
}
