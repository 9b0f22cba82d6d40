import Foundation

/// Swift's crash reporter (the runtime backtracer) prints, by default, every register of the
/// crashed thread and the 16 bytes each one points at: a crash while a key, a token or a scanned
/// file is in memory could put part of it on stderr, and so into the logs (SECURITY-CASES 58).
/// The runtime reads its settings from SWIFT_BACKTRACE before `main`, so when the variable is
/// not set, `keyward` sets it (backtraces kept; registers, memory and image lists left out; paths
/// sanitised) and starts itself again, with the same pid and arguments. A value set by the user
/// is respected.
package enum CrashReports {
    package static let settings = "enable=yes,registers=none,images=none,sanitize=yes"

    static func redactOrRestart() {
        guard getenv("SWIFT_BACKTRACE") == nil else { return }
        setenv("SWIFT_BACKTRACE", settings, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed (no /proc): carry on, unredacted, rather than not at all.
    }
}
