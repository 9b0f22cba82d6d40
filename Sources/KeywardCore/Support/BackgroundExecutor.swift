import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where background work runs: the usage flush, the detection recorder's writes and sweeps. One
/// thread of its own at a lower scheduling priority (`niceness`), so that on a CPU shared with
/// an event loop the kernel hands that work the time the event loop leaves, in short slices,
/// instead of letting a woken flush run for several milliseconds while requests wait (measured:
/// a 5 s usage flush at 100,000 keys took 5 ms slices from the event loop, which set verify's p99).
/// Async code run through `run` stays on this thread between its awaits; a database driver's own
/// threads still do their blocking I/O.
// Written here: Swift's global executor has no priorities that Linux honours, and no package here offers such a TaskExecutor.
package final class BackgroundExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's background thread (nice 10: about a tenth of a CPU when the CPU is busy).
    package static let shared = BackgroundExecutor(niceness: 10)

    // `jobs` is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    package init(niceness: Int32) {
        let thread = Thread { [self] in
            lowerPriorityOfThisThread(to: niceness)
            loop()
        }
        thread.name = "keyward-background"
        thread.start()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        if jobs.count == 1 { condition.signal() }
        condition.unlock()
    }

    /// Runs `body` (and the tasks it starts) on the background thread.
    package func run<R: Sendable>(_ body: () async throws -> R) async rethrows -> R {
        try await withTaskExecutorPreference(self, operation: body)
    }

    private func loop() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())
                // Between two pieces of work (an await), a runnable event loop on this CPU goes first:
                // a nice value alone does not shorten the slice the kernel grants once this thread runs.
                sched_yield()
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

/// Sets the calling thread's nice value (on Linux the nice value is per thread, and `who` 0 is
/// the calling thread). Best effort: a refusal leaves the thread as it was.
package func lowerPriorityOfThisThread(to niceness: Int32) {
    #if canImport(Glibc)
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
    #endif
}
