import Foundation

/// Runs a program (git, wrk) with posix_spawn, feeding optional stdin from another thread and
/// streaming stdout to a callback. Written here because Foundation's Process hung reaping on
/// Linux in this project's tests, and swift-subprocess is not in the allowed package set.
package enum Subprocess {
    /// Spawn attributes giving a child an empty signal mask and default handlers for the
    /// termination signals: a process that blocks SIGTERM (a service lifecycle's signal handling)
    /// would otherwise pass the block on through exec, and its children would ignore `kill`.
    package static func cleanSignals() -> posix_spawnattr_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return attr
    }

    /// Runs to completion; `onStdout` receives stdout as it arrives. Returns the exit status,
    /// stderr and the child's peak RSS in KiB (wait4's rusage).
    @discardableResult
    package static func run(_ executable: String, _ args: [String], stdin: [UInt8]? = nil, environment: [String: String]? = nil,
                            onStdout: (UnsafeRawBufferPointer) throws -> Void) throws -> (status: Int32, stderr: String, maxRSSKiB: Int) {
        var outFD: [Int32] = [0, 0], errFD: [Int32] = [0, 0], inFD: [Int32] = [0, 0]
        guard pipe(&outFD) == 0, pipe(&errFD) == 0, pipe(&inFD) == 0 else { throw ScanError.input("pipe failed") }
        for fd in outFD + errFD + inFD { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFD[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outFD[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errFD[1], 2)
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        // The child (git) gets this process's environment, passed on as it is: not configuration.
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        var attr = Self.cleanSignals()
        defer { posix_spawnattr_destroy(&attr) }
        let rc = posix_spawnp(&pid, executable, &actions, &attr, argv, envp)
        close(outFD[1]); close(errFD[1]); close(inFD[0])
        guard rc == 0 else {
            close(outFD[0]); close(errFD[0]); close(inFD[1])
            throw ScanError.input("cannot run \(executable)")
        }
        let writer = inFD[1]
        let feed = DispatchGroup()
        if let stdin, !stdin.isEmpty {
            feed.enter()
            let data = stdin
            Thread.detachNewThread {
                data.withUnsafeBytes { raw in
                    var off = 0
                    while off < raw.count {
                        let n = write(writer, raw.baseAddress!.advanced(by: off), raw.count - off)
                        if n <= 0 { break }
                        off += n
                    }
                }
                close(writer)
                feed.leave()
            }
        } else {
            close(writer)
        }
        var errData = [UInt8]()
        var fds = [pollfd(fd: outFD[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errFD[0], events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var callbackError: (any Error)?
        while open > 0 {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue } else { break } }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if i == 0 {
                        if callbackError == nil {
                            do { try buf.withUnsafeBytes { try onStdout(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } } catch { callbackError = error }
                        }
                    } else if errData.count < 1 << 20 {
                        errData += buf[0..<n]
                    }
                } else if n == 0 || errno != EINTR {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        feed.wait()
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        if let callbackError { throw callbackError }
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, String(decoding: errData, as: UTF8.self), Int(usage.ru_maxrss))
    }

    /// Runs to completion and returns stdout.
    package static func capture(_ executable: String, _ args: [String], stdin: [UInt8]? = nil, environment: [String: String]? = nil)
        throws -> (status: Int32, stdout: [UInt8], stderr: String, maxRSSKiB: Int) {
        var out = [UInt8]()
        let (status, err, rss) = try run(executable, args, stdin: stdin, environment: environment) { out += $0 }
        return (status, out, err, rss)
    }
}
