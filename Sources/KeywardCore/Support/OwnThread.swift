import Foundation

/// Runs blocking `work` (a 20 s rule compile, a wait on a lock or on a child process) on a
/// thread of its own, so it never holds one of the cooperative threads (one per core) that
/// every other task of the process runs on.
package func onOwnThread<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
    try await withCheckedThrowingContinuation { cont in
        Thread { cont.resume(with: Result { try work() }) }.start()
    }
}

/// The same for work that cannot fail.
package func onOwnThread<R: Sendable>(_ work: @escaping @Sendable () -> R) async -> R {
    await withCheckedContinuation { cont in
        Thread { cont.resume(returning: work()) }.start()
    }
}
