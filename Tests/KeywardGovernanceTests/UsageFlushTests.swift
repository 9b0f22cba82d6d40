import Foundation
import KeywardCore
import KeywardStore
import KeywardTesting
import KeywardVerify
import Synchronization
import Testing

@Suite("Usage flush: paced and in one transaction")
struct UsageFlushTests {
    @Test("the timer's paced flush writes every key's use, a few keys per transaction, exactly as one transaction would", arguments: Backend.allCases)
    func pacedWritesAll(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            var keys: [KeyID] = []
            // 11 keys: three chunks of at most 4, the last one short.
            for i in 0..<11 {
                let (key, secret) = try await h.issue(idn.id, scopes: ["payments:read"])
                keys.append(key.id)
                let source = VerifySource(ip: "10.0.0.\(i)", userAgent: "worker/\(i)")
                for _ in 0..<2 { #expect(try h.verify(secret, scopes: ["payments:read"], source: source).valid) }
                #expect(try h.verify(secret, scopes: ["payments:write"], source: source).reason == .insufficientScope)
            }
            #expect(UsageFlusher.pacedChunk(for: 11) == 4)
            #expect(await h.usage.flush(paced: true) == 11)
            #expect(await h.usage.flush(paced: true) == 0, "a flush writes each use once")
            for (i, id) in keys.enumerated() {
                let use = try await h.store.usage(of: id)
                #expect(use.outcomes == ["valid": 2, "insufficient_scope": 1], "key \(i)")
                #expect(use.sources.map(\.ip) == ["10.0.0.\(i)"] && use.sources.first?.count == 3, "key \(i)")
            }
            // Later use adds to what the paced flush wrote; the unpaced flush is one transaction.
            let (_, secret) = try await h.issue(idn.id, scopes: ["payments:read"])
            #expect(try h.verify(secret, scopes: ["payments:read"]).valid)
            #expect(await h.usage.flush() == 1)
        }
    }

    /// Counts the recorder's scans of free text.
    final class Scans: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test("a source with a credential in it is redacted on every flush; a clean source is scanned once, not on every flush")
    func redactionScansEachCleanSourceOnce() throws {
        let scans = Scans()
        let recorder = UsageRecorder { text in
            scans.count.add(1, ordering: .relaxed)
            return text.contains("kw_live_") ? "keyward-api-key" : nil
        }
        let key = KeyID.random()
        let clean = VerifySource(ip: "10.0.0.1", userAgent: "billing/2.1")
        let dirty = VerifySource(ip: "10.0.0.2", userAgent: "curl kw_live_notarealsecret")
        func flushOnce() -> [String: UsageBatch.Source] {
            recorder.record(key, outcome: "valid", at: Date(), source: clean, version: 1)
            recorder.record(key, outcome: "valid", at: Date(), source: dirty, version: 1)
            let taken = recorder.takePending()
            let batch = recorder.batch(taken, 0..<taken.count)
            var bySource: [String: UsageBatch.Source] = [:]
            for s in (batch.keys[key]?.sources ?? [:]).values { bySource[s.ip ?? ""] = s }
            #expect(batch.keys[key]?.versions.count == 2)
            return bySource
        }
        let first = flushOnce()
        let afterFirst = scans.count.load(ordering: .relaxed)
        // Two sources of two fields each, listed under sources and under versions: the clean one is
        // scanned once, the dirty one each time it is converted.
        #expect(afterFirst == 6)
        let second = flushOnce()
        #expect(scans.count.load(ordering: .relaxed) == afterFirst + 4, "only the dirty source is scanned again")
        for batch in [first, second] {
            #expect(batch["10.0.0.1"]?.userAgent == "billing/2.1")
            #expect(batch["10.0.0.2"]?.userAgent == "[redacted: keyward-api-key]")
        }
        #expect(first["10.0.0.1"]?.sourceID == second["10.0.0.1"]?.sourceID && first["10.0.0.2"]?.sourceID == second["10.0.0.2"]?.sourceID)
        #expect(first["10.0.0.1"]?.sourceID != first["10.0.0.2"]?.sourceID)
    }

    @Test("a paced flush stays within about 256 transactions however many keys were used")
    func chunkSize() {
        #expect(UsageFlusher.pacedChunk(for: 1) == 4)
        #expect(UsageFlusher.pacedChunk(for: 1_024) == 4)
        #expect(UsageFlusher.pacedChunk(for: 1_025) == 5)
        #expect(UsageFlusher.pacedChunk(for: 100_000) == 391)
        #expect(UsageFlusher.rest(after: .microseconds(100)) == .milliseconds(2))
        #expect(UsageFlusher.rest(after: .milliseconds(3)) == .milliseconds(12))
        #expect(UsageFlusher.rest(after: .seconds(1)) == .milliseconds(100))
    }
}
