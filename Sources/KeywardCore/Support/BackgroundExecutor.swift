import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where background work runs: the usage flush, the detection recorder's writes and sweeps. One
/// thread of its own that gives the CPU back between pieces of work (an await) once it has run for
/// `slice`, so that on a CPU shared with an event loop a flush never holds it for long: measured,
/// a 5 s usage flush at 100,000 keys on the cooperative pool took 5 ms slices from the event loop,
/// which set verify's p99. The work itself comes in small pieces (the usage flush writes one shard
/// per transaction). Async code run through `run` stays on this thread between its awaits; a
/// database driver's own threads still do their blocking I/O.
/// Not a lower nice value: on a busy machine (a test suite on two cores) a niced thread shared by
/// every server of the process fell minutes behind, and flushes that callers await with it.
// Written here: no package here offers a TaskExecutor on a thread of its own that yields like this.
package final class BackgroundExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's background thread.
    package static let shared = BackgroundExecutor()

    /// How long the thread runs before it lets others go first.
    private let slice = Duration.microseconds(500)
    // `jobs` is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    package init() {
        let thread = Thread { [self] in loop() }
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
        var running = ContinuousClock.now
        while true {
            condition.lock()
            if jobs.isEmpty {
                while jobs.isEmpty { condition.wait() }
                running = .now
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())
                if ContinuousClock.now - running > slice {
                    // Between two pieces of work, whatever else is runnable on this CPU goes first.
                    sched_yield()
                    running = .now
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
