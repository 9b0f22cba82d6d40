/// A fixed set of database handles lent out one caller at a time, FIFO.
/// Hand-written: no package in the allowed set offers an async semaphore over arbitrary
/// resources (PostgresNIO's pool is PostgreSQL-only; SQLite needs the same discipline).
package actor AsyncPool<Resource: Sendable> {
    private var idle: [Resource]
    private var waiters: [CheckedContinuation<Resource, Never>] = []

    package init(_ resources: [Resource]) { idle = resources }

    package func acquire() async -> Resource {
        if let r = idle.popLast() { return r }
        return await withCheckedContinuation { waiters.append($0) }
    }

    package func release(_ r: Resource) {
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: r)
        } else {
            idle.append(r)
        }
    }

    package func drain() -> [Resource] {
        let all = idle
        idle.removeAll()
        return all
    }
}
