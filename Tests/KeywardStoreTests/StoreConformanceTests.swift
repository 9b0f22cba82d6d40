import Foundation
import KeywardCore
import KeywardStore
import KeywardTesting
import Logging
import SQLKit
import Synchronization
import Testing

struct TestFailure: Error {}

/// Numbers sample identities' names: distinct in a process (two random names could collide), and the same every run.
let sampleNames = Atomic<Int>(0)

func sampleIdentity(_ now: Date = Date()) -> Identity {
    Identity(id: .random(), name: "svc-\(sampleNames.wrappingAdd(1, ordering: .relaxed).newValue)", kind: .workload, businessOwner: "biz", technicalOwner: "ops@example.com",
             purpose: "tests", environment: "staging", dataClassification: .confidential, labels: ["team": "core"],
             allowedScopes: [Scope("a:read")!], createdAt: now, updatedAt: now)
}

func sampleKey(identity: IdentityID, now: Date = Date()) -> (APIKey, Secret) {
    let s = APIKeyFormat.generate(environment: .live)
    let v = KeyVersion(version: 1, digest: s.sha256, fingerprint: Fingerprint(hex: "00"), prefix: s.displayPrefix,
                       expiresAt: now.addingTimeInterval(3600), createdAt: now)
    return (APIKey(id: .random(), identityID: identity, name: nil, environment: .live, scopes: [Scope("a:read")!], status: .active,
                   currentVersion: 1, createdAt: now, updatedAt: now, versions: [v]), s)
}

func verifyChain(_ store: Store) async throws -> AuditChainVerifier.Outcome {
    var v = AuditChainVerifier()
    try await store.forEachAudit(pageSize: 7) { v.feed($0) }
    return v.finish()
}

/// One conformance suite, run unchanged on a real SQLite file and a real PostgreSQL (`Backend`).
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test("the minute's expiry check finds versions by their expiry through an index, not by reading every key")
    func expiryCheckUsesAnIndex() async throws {
        let dir = try TempDirectory("keyward-store")
        defer { dir.remove() }
        let s = try await Store.open(.sqlite(dataDirectory: dir.path), logger: Logger(label: "t"))
        let plan = try await s.read { db in
            try await db.raw("EXPLAIN QUERY PLAN SELECT key_id, version FROM api_key_versions WHERE expires_at > 1 AND expires_at <= 2").all()
                .map { try $0.decode(column: "detail", as: String.self) }
        }
        await s.close()
        #expect(plan.contains { $0.contains("USING INDEX api_key_versions_expires") }, "\(plan)")
    }

    @Test("migrations are idempotent and a reopened store keeps its data", arguments: Backend.allCases)
    func reopen(_ backend: Backend) async throws {
        guard backend == .sqlite else {
            let (store, cleanup) = try await backend.open()
            defer { cleanup() }
            try await store.migrate()
            #expect(try await store.meta("schema_version") == String(Store.migrations.count))
            await store.close()
            return
        }
        let dir = try TempDirectory("keyward-store")
        defer { dir.remove() }
        let id = sampleIdentity()
        do {
            let s = try await Store.open(.sqlite(dataDirectory: dir.path), logger: Logger(label: "t"))
            try await s.write { tx in try await s.insertIdentity(id, in: tx) }
            await s.close()
        }
        let s = try await Store.open(.sqlite(dataDirectory: dir.path), logger: Logger(label: "t"))
        #expect(try await s.identity(id.id)?.name == id.name)
        #expect(try await s.meta("schema_version") == String(Store.migrations.count))
        await s.close()
    }

    @Test("identities round-trip, filter and page", arguments: Backend.allCases)
    func identities(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.open()
        defer { cleanup() }
        var ids: [IdentityID] = []
        try await store.write { tx in
            for i in 0..<7 {
                var x = sampleIdentity()
                x.environment = i % 2 == 0 ? "prod" : "dev"
                x.kind = i < 3 ? .pipeline : .service
                try await store.insertIdentity(x, in: tx)
                ids.append(x.id)
            }
        }
        let one = try #require(try await store.identity(ids[0]))
        #expect(one.labels == ["team": "core"])
        #expect(one.allowedScopes == [Scope("a:read")!])
        var seen: [IdentityID] = []
        var cursor: String?
        repeat {
            let page = try await store.listIdentities(IdentityFilter(), limit: 3, after: cursor.flatMap(PageCursor.decode))
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(Set(seen) == Set(ids))
        #expect(seen.count == 7)
        #expect(try await store.listIdentities(IdentityFilter(environment: "prod"), limit: 50, after: nil).items.count == 4)
        #expect(try await store.listIdentities(IdentityFilter(kind: .pipeline), limit: 50, after: nil).items.count == 3)
        #expect(try await store.listIdentities(IdentityFilter(owner: "ops@example.com"), limit: 50, after: nil).items.count == 7)
        await store.close()
    }

    @Test("a failed write leaves nothing behind, audit included (fail closed)", arguments: Backend.allCases)
    func rollback(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.open()
        defer { cleanup() }
        let id = sampleIdentity()
        await #expect(throws: TestFailure.self) {
            try await store.write { tx in
                try await store.insertIdentity(id, in: tx)
                tx.audit(AuditEntry(actor: "t", action: .identityCreated, target: id.id.description))
                throw TestFailure()
            }
        }
        #expect(try await store.identity(id.id) == nil)
        #expect(try await store.auditHead().seq == 0)
        #expect(try await store.auditPage(after: 0, limit: 10).isEmpty)
        await store.close()
    }

    @Test("the change feed publishes after commit, never for a rollback", arguments: Backend.allCases)
    func feed(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.open()
        defer { cleanup() }
        let seen = Mutex<[String]>([])
        store.feed.subscribe { change in
            if case .identity(let i) = change { seen.withLock { $0.append(i.name) } }
        }
        let a = sampleIdentity(), b = sampleIdentity()
        try await store.write { tx in try await store.insertIdentity(a, in: tx) }
        _ = try? await store.write { tx in
            try await store.insertIdentity(b, in: tx)
            throw TestFailure()
        }
        #expect(seen.withLock { $0 } == [a.name])
        await store.close()
    }

    @Test("keys and versions round-trip; forEachKey streams every key", arguments: Backend.allCases)
    func keys(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.open()
        defer { cleanup() }
        let ident = sampleIdentity()
        var keys: [APIKey] = []
        try await store.write { tx in
            try await store.insertIdentity(ident, in: tx)
            for _ in 0..<25 {
                let (k, _) = sampleKey(identity: ident.id)
                try await store.insertKey(k, in: tx)
                keys.append(k)
            }
        }
        let got = try #require(try await store.key(keys[3].id))
        #expect(got.versions == keys[3].versions.map { v in var v = v; v.expiresAt = Date(unixMillis: v.expiresAt!.unixMillis); v.createdAt = Date(unixMillis: v.createdAt.unixMillis); return v })
        var streamed = 0
        try await store.forEachKey(pageSize: 4) { page in
            streamed += page.count
            for k in page { #expect(k.versions.count == 1) }
        }
        #expect(streamed == 25)
        await store.close()
    }

    // case 70 of docs/security-cases.md: 32 writers, no deadlock, one linear chain.
    @Test("32 concurrent writers keep one contiguous, valid audit chain", arguments: Backend.allCases)
    func concurrentWriters(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.open()
        defer { cleanup() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<32 {
                group.addTask {
                    for i in 0..<5 {
                        let x = sampleIdentity()
                        try await store.write { tx in
                            try await store.insertIdentity(x, in: tx)
                            tx.audit(AuditEntry(actor: "w\(w)", action: .identityCreated, target: x.id.description, details: ["i": String(i)]))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await verifyChain(store) == .ok(count: 160, headSeq: 160, headHash: try await store.auditHead().hash))
        await store.close()
    }

    @Test("usage batches upsert counters and sources", arguments: Backend.allCases)
    func usage(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.open()
        defer { cleanup() }
        let ident = sampleIdentity()
        let (k, _) = sampleKey(identity: ident.id)
        try await store.write { tx in
            try await store.insertIdentity(ident, in: tx)
            try await store.insertKey(k, in: tx)
        }
        for round in 0..<2 {
            var b = UsageBatch()
            var u = UsageBatch.PerKey()
            u.lastUsedAt = 1_000 + Int64(round)
            u.outcomes = ["valid": 3, "insufficient_scope": 1]
            u.sources["s1"] = .init(sourceID: "s1", ip: "10.0.0.1", userAgent: "curl", clientCertSubject: nil, clientCertThumbprint: nil,
                                    firstSeen: 1_000, lastSeen: 1_000 + Int64(round), count: 4)
            b.keys[k.id] = u
            try await store.flushUsage(b)
        }
        let usage = try await store.usage(of: k.id)
        #expect(usage.outcomes == ["valid": 6, "insufficient_scope": 2])
        #expect(usage.sources.count == 1)
        #expect(usage.sources.first?.count == 8)
        #expect(try await store.key(k.id)?.lastUsedAt == Date(unixMillis: 1_001))
        // Usage is telemetry, not audit.
        #expect(try await store.auditHead().seq == 0)
        await store.close()
    }
}
