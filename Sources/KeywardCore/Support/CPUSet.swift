import Foundation

/// How many CPUs this process may run on. NIO sizes its shared event-loop group from cgroup
/// limits (CPU quota, cpuset) but not from the scheduler affinity mask that `taskset`, `numactl`
/// or a supervisor's `sched_setaffinity` set. A server started on one CPU of two then ran two
/// event loops on that one CPU; an event loop that is never idle under load
/// keeps the CPU for a whole scheduler slice, so requests on the other loop waited that long
/// (verify p99 5 ms against a p50 of 0.6 ms; 2.2 ms with one loop).
package enum CPUSet {
    /// The CPUs in this process's affinity mask (`Cpus_allowed_list` in /proc/self/status), or nil.
    package static func allowed(statusFile: String = "/proc/self/status") -> [Int]? {
        guard let text = try? String(contentsOfFile: statusFile, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return parse(list: line.dropFirst("Cpus_allowed_list:".count))
    }

    /// The CPUs of a list such as `0-3,8,10-11`; nil if it is not one.
    package static func parse(list: Substring) -> [Int]? {
        var cpus: [Int] = []
        for part in list.split(separator: ",") {
            let ends = part.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let lo = Int(ends[0]), let hi = Int(ends[ends.count - 1]), 0 <= lo, lo <= hi, hi < 65_536 else { return nil }
            cpus += Array(lo...hi)
        }
        return cpus.isEmpty ? nil : cpus
    }
}
