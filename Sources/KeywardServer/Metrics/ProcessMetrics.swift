#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The standard `process_*` series (as Prometheus' own clients export them), read from /proc
/// at each scrape. A series whose file cannot be read is left out.
enum ProcessMetrics {
    static func write(into e: inout Exposition) {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = sysconf(Int32(_SC_PAGESIZE))
        // proc(5): the fields after the command name's closing parenthesis start at field 3 (state).
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let f = stat[stat.index(after: close)...].split(separator: " ").map(String.init)
            func field(_ n: Int) -> Double? { f.count > n - 3 ? Double(f[n - 3]) : nil }
            if let utime = field(14), let stime = field(15), ticks > 0 {
                e.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                         [([], String((utime + stime) / ticks))])
            }
            if let start = field(22), let boot = bootTime(), ticks > 0 {
                e.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
                         [([], String(Double(boot) + start / ticks))])
            }
            if let vsize = field(23) {
                e.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", Int(vsize))
            }
            if let rss = field(24) {
                e.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", Int(rss) * page)
            }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            // One of them is the directory being listed.
            e.gauge("process_open_fds", "Number of open file descriptors.", max(0, fds.count - 1))
        }
        if let limit = OpenFileLimit.current {
            e.gauge("process_max_fds", "Maximum number of open file descriptors.", limit)
        }
    }

    /// `btime` from /proc/stat: boot time, seconds since the epoch.
    static func bootTime() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
    }
}
