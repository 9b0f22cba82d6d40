import Foundation
import KeywardScanner

/// A `keyward serve` child process for benchmarks, and a small output-capturing runner
/// (posix_spawn; Foundation's Process is avoided for the reason given in KeywardTesting).
struct BenchServer {
    let pid: pid_t
    let port: Int

    static func start(dataDir: String, logDir: String) throws -> BenchServer {
        let out = logDir + "/server.out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, logDir + "/server.err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let args = [ProcStatus.executablePath(), "serve", "--data-dir", dataDir, "--port", "0", "--log-level", "warning"]
        let argv = args.map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, args[0], &actions, nil, argv, envp) == 0 else { throw CLIExit.error("cannot start the server") }
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
