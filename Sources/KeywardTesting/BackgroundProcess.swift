import Foundation
import KeywardScanner

/// A long-running child (e.g. `keyward serve`) with stdout/stderr going to files, stopped by PID.
package final class BackgroundProcess: @unchecked Sendable {
    package let pid: pid_t
    package let stdoutPath: String
    package let stderrPath: String
    private var reaped: Int32?

    package init(_ executable: String, _ args: [String], environment: [String: String]? = nil, logDirectory: String) throws {
        // Not SeededRandom: log names must differ between processes sharing a folder, not replay.
        stdoutPath = (logDirectory as NSString).appendingPathComponent("stdout-\(UInt32.random(in: 0...UInt32.max)).log")
        stderrPath = (logDirectory as NSString).appendingPathComponent("stderr-\(UInt32.random(in: 0...UInt32.max)).log")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        var attr = Subprocess.cleanSignals()
        defer { posix_spawnattr_destroy(&attr) }
        let rc = posix_spawn(&pid, executable, &actions, &attr, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .ENOENT) }
        self.pid = pid
    }

    package var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    package var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Polls stdout until `predicate` holds (bounded by `timeout` seconds).
    package func waitForOutput(timeout: Double = 120, _ predicate: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let out = stdout
            if predicate(out) { return out }
            // Looked at once more after the deadline: a task that slept past it still sees the output.
            if exitStatus(wait: false) != nil || Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw POSIXError(.ETIMEDOUT)
    }

    /// Exit status if the process has ended (nil while running, with `wait: false`).
    @discardableResult
    package func exitStatus(wait: Bool) -> Int32? {
        if let reaped { return reaped }
        var status: Int32 = 0
        let r = waitpid(pid, &status, wait ? 0 : WNOHANG)
        guard r == pid else { return nil }
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        reaped = code
        return code
    }

    /// Sends `signal` and waits (bounded) for the exit status.
    @discardableResult
    package func stop(_ signal: Int32 = SIGTERM, timeout: Double = 15) -> Int32? {
        if let reaped { return reaped }
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = exitStatus(wait: false) { return s }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        return exitStatus(wait: true)
    }

    deinit { if reaped == nil { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) } }
}
