import Foundation
import Synchronization

/// A real Redis (Debian's redis-server) for one test, on 127.0.0.1 at a free port, with no
/// persistence and its folder in a temp dir; stopped by PID (`stop()`, or when released).
/// `restart()` starts it again on the same port, for tests of what a client does meanwhile.
package final class RedisServer: Sendable {
    package let port: Int
    package let password: String?
    private let dir: TempDirectory
    private let process: Mutex<BackgroundProcess?>

    package struct RedisLaunchError: Error, CustomStringConvertible {
        package var description: String
    }

    /// `redis://[:password@]127.0.0.1:<port>` (the password percent-encoded).
    package var url: String {
        let login = password.map { ":\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)@" } ?? ""
        return "redis://\(login)127.0.0.1:\(port)"
    }

    /// Starts a server, with `requirepass` when `password` is given. Another process may take the
    /// free port between the probe and the bind: then it tries another (five times).
    package init(password: String? = nil) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw RedisLaunchError(description: "redis-server is not installed (apt-get install redis-server; scripts/install.sh --test does it)")
        }
        let dir = try TempDirectory("keyward-redis")
        for _ in 0..<5 {
            let port = try PostgresServer.freePort()
            if let started = try await Self.launch(port: port, password: password, dir: dir) {
                self.port = port
                self.password = password
                self.dir = dir
                process = Mutex(started)
                return
            }
        }
        dir.remove()
        throw RedisLaunchError(description: "redis-server found no free port in five tries")
    }

    /// Kills the server (SIGKILL: it has nothing to save) and waits for it to exit.
    package func stop() {
        let p = process.withLock { p in defer { p = nil }; return p }
        p?.stop(SIGKILL)
    }

    /// Starts the server again on the same port (stopping it first if it runs); its data is gone
    /// (no persistence), as after a crash.
    package func restart() async throws {
        stop()
        for _ in 0..<5 {
            if let started = try await Self.launch(port: port, password: password, dir: dir) {
                process.withLock { $0 = started }
                return
            }
        }
        throw RedisLaunchError(description: "redis-server could not bind 127.0.0.1:\(port) again")
    }

    private static let executable = "/usr/bin/redis-server"

    /// The running server, nil when the port is taken; throws on any other failure.
    private static func launch(port: Int, password: String?, dir: TempDirectory) async throws -> BackgroundProcess? {
        var args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", dir.path, "--daemonize", "no", "--logfile", "", "--databases", "4"]
        if let password { args += ["--requirepass", password] }
        let p = try BackgroundProcess(executable, args, logDirectory: dir.path)
        do {
            _ = try await p.waitForOutput(timeout: 30) { $0.contains("Ready to accept connections") }
            return p
        } catch {
            let out = p.stdout
            p.stop(SIGKILL)
            if out.contains("Address already in use") { return nil }
            throw RedisLaunchError(description: "redis-server did not start: \(out.suffix(500))")
        }
    }

    deinit {
        stop()
        dir.remove()
    }
}
