import Foundation
import KeywardCore
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

    /// Runs a program under a small python3 parent that reports the program's own peak RSS in
    /// `maxRSSKiB`. A child spawned straight from this test process reports this process's
    /// peak instead when that is higher: Linux carries the spawning address space's high-water
    /// mark into the child's `maxrss` across exec, and the test process holds compiled rules
    /// and servers.
    package static func runMeasuringPeakRSS(_ executable: String, _ args: [String], environment: [String: String]? = nil) async throws -> ProcessResult {
        let marker = "keyward-test-peak-rss-kib="
        let script = """
            import resource, subprocess, sys
            r = subprocess.run(sys.argv[1:])
            sys.stderr.write("\\n\(marker)%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            sys.exit(r.returncode)
            """
        var r = try await run("/usr/bin/env", ["python3", "-c", script, executable] + args, environment: environment)
        guard let line = r.stderr.split(separator: "\n").last(where: { $0.hasPrefix(marker) }), let kib = Int(line.dropFirst(marker.count)) else {
            throw POSIXError(.EIO)
        }
        r.maxRSSKiB = kib
        r.stderr = r.stderr.replacingOccurrences(of: "\n" + line + "\n", with: "")
        return r
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

