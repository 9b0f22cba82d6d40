import Foundation
import KeywardCore
import KeywardStore
import Synchronization

/// Group commit for the token endpoint: every token needs its assertion's (and proof's) `jti`
/// recorded once and its row written, durably, before it is handed out. One transaction per
/// token is bounded by the disk's sync rate (about 500 a second here); requests that arrive
/// while a transaction commits are written together in the next one, each with its own answer.
final class IssuanceBatcher: Sendable {
    struct Item: Sendable {
        /// The client assertion's replay key (nil for a client authenticated by its TLS certificate).
        var assertion: (scope: String, jti: String, until: Date)?
        var proof: (scope: String, jti: String, until: Date)?
        var token: AccessTokenRecord
    }

    enum Outcome: Sendable {
        case recorded
        case assertionReplayed
        case proofReplayed
    }

    private struct Pending: Sendable {
        var item: Item
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var flushing = false
    }

    private let store: Store
    private let state = Mutex(State())
    /// At most this many tokens in one transaction.
    static let maxBatch = 512

    init(store: Store) { self.store = store }

    /// Records `item` in the next transaction; returns what happened to it.
    func record(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Outcome, any Error>) in
            let start = state.withLock { s -> Bool in
                s.queue.append(Pending(item: item, continuation: c))
                guard !s.flushing else { return false }
                s.flushing = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Writes batches until the queue is empty.
    private func drain() async {
        while true {
            let batch = state.withLock { s -> [Pending] in
                let n = min(s.queue.count, Self.maxBatch)
                let b = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                if b.isEmpty { s.flushing = false }
                return b
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try await store.write { tx in
                    var out: [Outcome] = []
                    for p in batch {
                        let i = p.item
                        if let a = i.assertion, !(try await self.store.recordOnce(scope: a.scope, jti: a.jti, expiresAt: a.until, in: tx)) {
                            out.append(.assertionReplayed)
                            continue
                        }
                        if let proof = i.proof, !(try await self.store.recordOnce(scope: proof.scope, jti: proof.jti, expiresAt: proof.until, in: tx)) {
                            out.append(.proofReplayed)
                            continue
                        }
                        try await self.store.insertAccessToken(i.token, in: tx)
                        out.append(.recorded)
                    }
                    return out
                }
                for (p, o) in zip(batch, outcomes) { p.continuation.resume(returning: o) }
            } catch {
                for p in batch { p.continuation.resume(throwing: error) }
            }
        }
    }
}
