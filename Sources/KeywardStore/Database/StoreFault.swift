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
