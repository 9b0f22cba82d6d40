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
        /// Nil for a proof presented at verify: only its `jti` is recorded.
        var token: AccessTokenRecord?
    }

    enum Outcome: Sendable, Equatable {
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
    static let maxBatch = 256

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

    /// One batch in one transaction, in three statements: the assertions' `jti`s, the proofs' `jti`s
    /// (each a multi-row insert that returns what was new), and the tokens whose keys were all new.
    /// A key repeated within the batch counts for its first item only.
    private func write(_ items: [Item], in tx: WriteTransaction) async throws -> [Outcome] {
        var seen = Set<ReplayKey>()
        var firstUse = [Bool](repeating: true, count: items.count)
        var assertionKeys: [(scope: String, jti: String, expiresAt: Date)] = []
        for (n, i) in items.enumerated() {
            if let a = i.assertion {
                if seen.insert(ReplayKey(scope: a.scope, jti: a.jti)).inserted { assertionKeys.append((a.scope, a.jti, a.until)) } else { firstUse[n] = false }
            }
        }
        let newAssertions = try await store.recordOnce(assertionKeys, in: tx)
        var outcomes: [Outcome] = items.indices.map { n in
            guard let a = items[n].assertion else { return .recorded }
            return firstUse[n] && newAssertions.contains(ReplayKey(scope: a.scope, jti: a.jti)) ? .recorded : .assertionReplayed
        }
        var proofKeys: [(scope: String, jti: String, expiresAt: Date)] = []
        var proofFirst = [Bool](repeating: true, count: items.count)
        for (n, i) in items.enumerated() where outcomes[n] == .recorded {
            if let p = i.proof {
                if seen.insert(ReplayKey(scope: p.scope, jti: p.jti)).inserted { proofKeys.append((p.scope, p.jti, p.until)) } else { proofFirst[n] = false }
            }
        }
        let newProofs = try await store.recordOnce(proofKeys, in: tx)
        for (n, i) in items.enumerated() where outcomes[n] == .recorded {
            if let p = i.proof, !(proofFirst[n] && newProofs.contains(ReplayKey(scope: p.scope, jti: p.jti))) { outcomes[n] = .proofReplayed }
        }
        try await store.insertAccessTokens(items.indices.filter { outcomes[$0] == .recorded }.compactMap { items[$0].token }, in: tx)
        return outcomes
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
                let outcomes = try await store.write { tx in try await self.write(batch.map(\.item), in: tx) }
                for (p, o) in zip(batch, outcomes) { p.continuation.resume(returning: o) }
            } catch {
                for p in batch { p.continuation.resume(throwing: error) }
            }
        }
    }
}
