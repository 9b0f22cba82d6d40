import Foundation

extension ServeCommand {
    /// Process-wide settings for a server that keeps secrets-adjacent files on local disk, set
    /// before anything is opened:
    /// - umask 077: every file the server creates (the SQLite store, its `-wal` and `-shm`,
    ///   SQLite's temporary files, key files) is private to its user whatever the data
    ///   folder's mode (case 57 of docs/security-cases.md). The store and key files are also created 0600
    ///   explicitly; the umask covers what SQLite creates on its own. `keyward scan` keeps the
    ///   user's umask: its reports and baselines hold fingerprints and redacted previews only,
    ///   and are written to be committed or uploaded.
    /// - SIGXFSZ ignored: a write past the file-size limit (RLIMIT_FSIZE) then fails with
    ///   EFBIG, which the store reports as a fault (503, `Retry-After`) and rolls back, instead
    ///   of the default action killing the server mid-transaction (case 69 of docs/security-cases.md).
    static func prepareProcess() {
        umask(0o077)
        signal(SIGXFSZ, SIG_IGN)
    }
}
