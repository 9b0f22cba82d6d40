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
    @discardableResult
    package static func run(_ executable: String, _ args: [String], environment: [String: String]? = nil, stdin: String? = nil,
                            currentDirectory: String? = nil) throws -> ProcessResult {
        if let currentDirectory {
            // `env -C DIR` (coreutils) changes directory in the child without a chdir file action.
            return try run("/usr/bin/env", ["-C", currentDirectory, executable] + args, environment: environment, stdin: stdin)
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
