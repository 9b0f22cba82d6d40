import Foundation
import KeywardCore
import KeywardStore
import KeywardTesting
import KeywardVerify
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
