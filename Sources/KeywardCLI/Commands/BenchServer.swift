import Foundation
import KeywardScanner

/// A `keyward serve` child process for benchmarks, and a small output-capturing runner
/// (posix_spawn; Foundation's Process is avoided for the reason given in KeywardTesting).
struct BenchServer {
    let pid: pid_t
    let port: Int

    /// The server in its default configuration (house rule 5: what `keyward serve` does with no
    /// flags, logs at info included, written to a file as a service manager would), on `cpus`.
    static let configuration = "default configuration: SQLite in its data folder, logs at info to a file, no flags"

    static func start(dataDir: String, logDir: String, cpus: String? = nil, extraArgs: [String] = []) throws -> BenchServer {
        let out = logDir + "/server.out"
        let pid = try spawn(pinned(cpus) + [ProcStatus.executablePath(), "serve", "--data-dir", dataDir, "--port", "0"] + extraArgs,
                            stdout: out, stderr: logDir + "/server.err")
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: out, encoding: .utf8), let r = text.range(of: "listening on http://127.0.0.1:") {
                let rest = text[r.upperBound...].prefix { $0.isNumber }
                if let port = Int(rest) { return BenchServer(pid: pid, port: port) }
            }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        throw CLIExit.error("the server did not start")
    }

    /// Starts `args[0]` with stdin from /dev/null and stdout/stderr to files (the same file for
    /// both when `stderr` is nil), the environment plus `env`; returns its pid.
    static func spawn(_ args: [String], env extra: [String: String] = [:], stdout: String, stderr: String?) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // A child process gets this one's environment, which is not configuration read here.
        var environment = Settings.processEnvironment
        environment.merge(extra) { $1 }
        let argv = args.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        var attr = Subprocess.cleanSignals()
        defer { posix_spawnattr_destroy(&attr) }
        guard posix_spawn(&pid, args[0], &actions, &attr, argv, envp) == 0 else { throw CLIExit.error("cannot start \(args[0])") }
        return pid
    }

    static let taskset = "/usr/bin/taskset"

    /// `taskset -c <cpus>` in front of a command line, or nothing.
    static func pinned(_ cpus: String?) -> [String] {
        cpus.map { [taskset, "-c", $0] } ?? []
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Runs a program and returns its stdout.
    static func capture(_ exe: String, _ args: [String]) throws -> String {
        do {
            return String(decoding: try Subprocess.capture(exe, args).stdout, as: UTF8.self)
        } catch {
            throw CLIExit.error("cannot run \(exe)")
        }
    }
}
