#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit (RLIMIT_NOFILE): each connection holds a descriptor.
package enum OpenFileLimit {
    /// The highest soft limit `raise()` sets, whatever the hard limit: some hosts allow 2^30,
    /// and code that walks every possible descriptor (closing them before an exec) gets slow.
    static let ceiling: rlim_t = 1 << 20
    // RLIM_INFINITY is all ones; Glibc's macro does not import into Swift.

    /// The soft limit now, or nil when unknown or unlimited.
    package static var current: Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(limit.rlim_cur)
    }

    /// Raises the soft limit to the hard limit (at most `ceiling`), as Go's runtime and
    /// systemd's services do; the usual soft default of 1,024 would cap the server long before
    /// memory does. Returns the soft limit afterwards.
    @discardableResult
    package static func raise() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let target = min(limit.rlim_max, ceiling)
        if limit.rlim_cur != rlim_t.max, limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised)
        }
        return current
    }
}
