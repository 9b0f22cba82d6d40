import Foundation

/// Runs a program to completion and returns its exit status and output.
package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
    /// Peak resident set size of the child, in KiB (from wait4's rusage).
    package var maxRSSKiB: Int = 0
}

/// posix_spawn + poll + waitpid. Written by hand rather than with Foundation's `Process`,
/// whose Linux reaping hung when a grandchild (a daemonised postgres) outlived the child.
/// swift-subprocess would fit but is not in the allowed package set.
package enum ProcessRunner {
    @discardableResult
    package static func run(_ executable: String, _ args: [String], environment: [String: String]? = nil, stdin: String? = nil,
                            currentDirectory: String? = nil) throws -> ProcessResult {
        var inFD: [Int32] = [0, 0], outFD: [Int32] = [0, 0], errFD: [Int32] = [0, 0]
        guard pipe(&inFD) == 0, pipe(&outFD) == 0, pipe(&errFD) == 0 else { throw POSIXError(.EMFILE) }
        for fd in inFD + outFD + errFD { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        if let currentDirectory {
            // `env -C DIR` (coreutils) changes directory in the child without a chdir file action.
            return try run("/usr/bin/env", ["-C", currentDirectory, executable] + args, environment: environment, stdin: stdin)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFD[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outFD[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errFD[1], 2)
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        let envDict = environment ?? ProcessInfo.processInfo.environment
        let envp = envDict.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(inFD[0]); close(outFD[1]); close(errFD[1])
        guard rc == 0 else {
            close(inFD[1]); close(outFD[0]); close(errFD[0])
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .ENOENT)
        }
        if let stdin {
            let bytes = Array(stdin.utf8)
            _ = bytes.withUnsafeBytes { write(inFD[1], $0.baseAddress, $0.count) }
        }
        close(inFD[1])
        var out = [UInt8](), err = [UInt8]()
        var fds = [pollfd(fd: outFD[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errFD[0], events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buf = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            if poll(&fds, 2, 1000) < 0 && errno != EINTR { break }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if i == 0 { out += buf[0..<n] } else { err += buf[0..<n] }
                } else if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ProcessResult(status: exitCode, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                             maxRSSKiB: Int(usage.ru_maxrss))
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
