import Foundation
import Synchronization

/// A real PostgreSQL (Debian's postgresql) started once per test process on 127.0.0.1 in a
/// temp folder, and stopped by PID when the process exits. initdb refuses to run as root, so
/// as root it runs as the `postgres` OS user via `runuser`. Each caller gets its own database.
package final class PostgresServer: Sendable {
    package let port: Int
    package let dataDirectory: String
    private let counter = Mutex(0)
    private let user: String

    private init(port: Int, dataDirectory: String, user: String) {
        self.port = port
        self.dataDirectory = dataDirectory
        self.user = user
    }

    private static let shared = Mutex<Result<PostgresServer, PostgresLaunchError>?>(nil)

    package struct PostgresLaunchError: Error, CustomStringConvertible {
        package var description: String
    }

    /// The process-wide server, started on first use.
    package static func instance() throws -> PostgresServer {
        try shared.withLock { state in
            if let state { return try state.get() }
            let r = Result { try launch() }.mapError { PostgresLaunchError(description: "\($0)") }
            state = r
            return try r.get()
        }
    }

    static func binDirectory() throws -> String {
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base))?.compactMap(Int.init).sorted() ?? []
        guard let v = versions.last else {
            throw PostgresLaunchError(description: "PostgreSQL is not installed (apt-get install postgresql; scripts/install.sh --test does it)")
        }
        return "\(base)/\(v)/bin"
    }

    private static func launch() throws -> PostgresServer {
        let bin = try binDirectory()
        let isRoot = getuid() == 0
        let user = isRoot ? "postgres" : (ProcessInfo.processInfo.environment["USER"] ?? "postgres")
        // Not SeededRandom: a folder name must differ between runs, not replay.
        let dir = "/tmp/keyward-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if isRoot { try ProcessRunner.runBlocking("/bin/chown", ["postgres:postgres", dir]) }
        func asUser(_ exe: String, _ args: [String]) throws -> ProcessResult {
            isRoot ? try ProcessRunner.runBlocking("/usr/sbin/runuser", ["-u", "postgres", "--", exe] + args)
                   : try ProcessRunner.runBlocking(exe, args)
        }
        let data = dir + "/data"
        let initdb = try asUser("\(bin)/initdb", ["-D", data, "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"])
        guard initdb.status == 0 else { throw PostgresLaunchError(description: "initdb failed: \(initdb.stderr.suffix(500))") }
        let port = try freePort()
        let opts = "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=500"
        let start = try asUser("\(bin)/pg_ctl", ["-D", data, "-o", opts, "-l", dir + "/log", "-w", "-t", "60", "start"])
        guard start.status == 0 else { throw PostgresLaunchError(description: "pg_ctl start failed: \(start.stderr.suffix(500))") }
        let server = PostgresServer(port: port, dataDirectory: data, user: user)
        registerStop(pidFile: data + "/postmaster.pid", dir: dir)
        return server
    }

    /// A new empty database; returns its `postgres://` URL.
    package func createDatabase() throws -> String {
        let n = counter.withLock { c -> Int in c += 1; return c }
        let name = "kw_test_\(n)"
        let bin = try Self.binDirectory()
        let r = try ProcessRunner.runBlocking("\(bin)/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", user, name])
        guard r.status == 0 else { throw PostgresLaunchError(description: "createdb failed: \(r.stderr)") }
        return "postgres://\(user)@127.0.0.1:\(port)/\(name)?tlsmode=disable"
    }

    /// A new empty database owned by a new login role without superuser rights; returns the
    /// role and a `postgres://` URL that connects as it. For tests that take a privilege away
    /// from the server (a superuser bypasses every privilege check).
    package func createDatabaseWithOwnRole() throws -> (role: String, url: String) {
        let n = counter.withLock { c -> Int in c += 1; return c }
        let role = "kw_role_\(n)", name = "kw_test_\(n)"
        let bin = try Self.binDirectory()
        let common = ["-h", "127.0.0.1", "-p", String(port), "-U", user]
        let r1 = try ProcessRunner.runBlocking("\(bin)/createuser", common + ["--login", "--no-superuser", "--no-createdb", "--no-createrole", role])
        guard r1.status == 0 else { throw PostgresLaunchError(description: "createuser failed: \(r1.stderr)") }
        let r2 = try ProcessRunner.runBlocking("\(bin)/createdb", common + ["-O", role, name])
        guard r2.status == 0 else { throw PostgresLaunchError(description: "createdb failed: \(r2.stderr)") }
        return (role, "postgres://\(role)@127.0.0.1:\(port)/\(name)?tlsmode=disable")
    }

    /// Runs `sql` as the superuser in the database `url` names (psql, stops at the first error);
    /// returns psql's unaligned, tuples-only output.
    @discardableResult
    package func superuserSQL(_ sql: String, in url: String) throws -> String {
        guard let name = url.split(separator: "/").last?.split(separator: "?").first.map(String.init) else {
            throw PostgresLaunchError(description: "no database name in \(url)")
        }
        let bin = try Self.binDirectory()
        let r = try ProcessRunner.runBlocking("\(bin)/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", name,
                                                     "-v", "ON_ERROR_STOP=1", "-X", "-A", "-t", "-c", sql])
        guard r.status == 0 else { throw PostgresLaunchError(description: "psql failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A port on 127.0.0.1 nothing listens on (bound, read, released).
    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw PostgresLaunchError(description: "no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

// Stop the server by its PID when the test process exits (Swift Testing has no global teardown).
nonisolated(unsafe) private var postgresPIDFile: String?
nonisolated(unsafe) private var postgresDir: String?

private func registerStop(pidFile: String, dir: String) {
    postgresPIDFile = pidFile
    postgresDir = dir
    atexit {
        guard let pidFile = postgresPIDFile, let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = Int32(first) else { return }
        kill(pid, SIGINT) // fast shutdown
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
        if let dir = postgresDir { try? FileManager.default.removeItem(atPath: dir) }
    }
}
