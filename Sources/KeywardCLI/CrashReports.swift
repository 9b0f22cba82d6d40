import Foundation

/// Swift's crash reporter (the runtime backtracer) prints, by default, every register of the
/// crashed thread and the 16 bytes each one points at: a crash while a key, a token or a scanned
/// file is in memory could put part of it on stderr, and so into the logs (case 58 of docs/security-cases.md).
/// The runtime reads its settings from SWIFT_BACKTRACE before `main`, so when the variable is
/// not set, `keyward` sets it (backtraces kept; registers, memory and image lists left out; paths
/// sanitised) and starts itself again, with the same pid and arguments, and turns off core
/// dumps. A value set by the user is respected, core dumps included.
package enum CrashReports {
    package static let settings = "enable=yes,registers=none,images=none,sanitize=yes" + backtracerSetting

    /// A binary with the Swift runtime linked in (scripts/package.sh) has no toolchain beside it
    /// to find the backtracer in: the package ships `swift-backtrace-static` next to the binary,
    /// and this names it (otherwise the runtime would say at every start that it found none).
    static var backtracerSetting: String {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return "" }
        let path = (exe as NSString).deletingLastPathComponent + "/swift-backtrace-static"
        guard FileManager.default.isExecutableFile(atPath: path), !path.contains(",") else { return "" }
        return ",swift-backtrace=" + path
    }

    static func redactOrRestart() {
        // getenv, not Settings: the runtime reads this variable before `main`, and setenv + exec is how to change it.
        guard let current = getenv("SWIFT_BACKTRACE").map({ String(cString: $0) }) else {
            setenv("SWIFT_BACKTRACE", settings, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Only reached when exec failed (no /proc): carry on, unredacted, rather than not at all.
            noCoreDumps()
            return
        }
        if current == settings { noCoreDumps() }
    }

    /// A core dump holds all of memory. With crash reporting left to Keyward, the soft core
    /// size limit is 0: no core file, and systemd-coredump does not store one either (it honours
    /// the limit; the kernel itself ignores it for a piped core_pattern). An operator debugging a
    /// crash sets SWIFT_BACKTRACE to a value of their own, which leaves the limit as it was.
    static func noCoreDumps() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = 0
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit)
    }
}
