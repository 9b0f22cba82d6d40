import Foundation
import KeywardScanner

/// Runs a program to completion and returns its exit status and output.
package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
    /// Peak resident set size of the child, in KiB (from wait4's rusage).
    package var maxRSSKiB: Int = 0
}

/// Test-side convenience over the project's one process runner (KeywardScanner's `Subprocess`,
/// posix_spawn + poll + wait4).
package enum ProcessRunner {
    /// Runs a program to completion on a thread of its own: a child's wait must not hold one of
    /// the few cooperative threads (one per core) that the in-process servers of other tests
    /// run on, or their heartbeats and handlers starve while it runs.
    @discardableResult
    package static func run(_ executable: String, _ args: [String], environment: [String: String]? = nil, stdin: String? = nil,
                            currentDirectory: String? = nil) async throws -> ProcessResult {
        try await onOwnThread { try runBlocking(executable, args, environment: environment, stdin: stdin, currentDirectory: currentDirectory) }
    }

    /// The same on the calling thread: for short commands from synchronous code (PostgreSQL's
    /// client tools).
    @discardableResult
    package static func runBlocking(_ executable: String, _ args: [String], environment: [String: String]? = nil, stdin: String? = nil,
                                    currentDirectory: String? = nil) throws -> ProcessResult {
        if let currentDirectory {
            // `env -C DIR` (coreutils) changes directory in the child without a chdir file action.
            return try runBlocking("/usr/bin/env", ["-C", currentDirectory, executable] + args, environment: environment, stdin: stdin)
        }
        let r = try Subprocess.capture(executable, args, stdin: stdin.map { Array($0.utf8) }, environment: environment)
        return ProcessResult(status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self), stderr: r.stderr, maxRSSKiB: r.maxRSSKiB)
    }

    /// Finds an executable on PATH (or nil).
    package static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Runs blocking `work` (a child's wait, a 20 s rule compile, a wait on a lock) on a thread of
/// its own, so it never holds one of the cooperative threads (one per core) that every task of
/// the test process, in-process servers included, runs on.
package func onOwnThread<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
    try await withCheckedThrowingContinuation { cont in
        Thread { cont.resume(with: Result { try work() }) }.start()
    }
}
