import Foundation
import KeywardCore
import KeywardTesting
import KeywardVerify
import Synchronization
import Testing

/// The shared rate-limit store against a real redis-server started by each test (case 65).
/// Limits use long periods (an hour): the Redis clock runs during a test, and a period that
/// long keeps a few milliseconds from freeing a request, so counts compare exactly.
@Suite("Redis limit store", .timeLimit(.minutes(2)))
struct RedisLimitStoreTests {
    /// Generous timeouts: the whole suite runs in parallel on two cores; the timeout itself is tested with a silent server.
    static let patient: RESPClient.Configuration = {
        var c = RESPClient.Configuration()
        c.connectTimeout = .seconds(10)
        c.commandTimeout = .seconds(10)
        return c
    }()

    static func limit(_ n: Int, burst: Int? = nil) -> RateLimit { RateLimit(limit: n, periodSeconds: 3600, burst: burst)! }

    static func near(_ a: Duration, _ b: Duration) -> Bool { a - b < .seconds(5) && b - a < .seconds(5) }

    /// Runs the same requests through the local limiter and the store, and expects the same
    /// verdicts: admitted, binding bucket, remaining; waits within 5 s. The local limiter decides
    /// each request at the moment the store does, so both clocks advance together however slowly a
    /// loaded machine runs the test (at one fixed instant, 9 s of a busy suite once set them apart).
    func expectSameAsLocal(_ store: RedisLimitStore, _ requests: [(charges: [LimitCharge], cost: Int)],
                           local: RateLimiter<BucketID> = RateLimiter()) async throws {
        for (n, r) in requests.enumerated() {
            let want = local.decide(r.charges, now: .now, cost: r.cost)
            let got = try await store.decide(r.charges, cost: r.cost)
            #expect(got.admitted == want.admitted, "request \(n)")
            #expect(got.binding == want.binding, "request \(n)")
            #expect(got.decision.remaining == want.decision.remaining, "request \(n)")
            #expect(Self.near(got.decision.retryAfter, want.decision.retryAfter), "request \(n)")
            #expect(Self.near(got.decision.reset, want.decision.reset), "request \(n)")
        }
    }

    @Test("the script decides a burst, then refusals, like RateLimiter (costs 1 and 3)")
    func burst() async throws {
        let redis = try await RedisServer()
        let store = try RedisLimitStore(url: redis.url, configuration: Self.patient)
        let a = LimitCharge("k:a", Self.limit(5))
        try await expectSameAsLocal(store, Array(repeating: ([a], 1), count: 7))
        let b = LimitCharge("k:b", Self.limit(10, burst: 7))
        try await expectSameAsLocal(store, [([b], 3), ([b], 3), ([b], 3), ([b], 1), ([b], 1)])
        await store.close()
    }

    @Test("all or nothing: a set the second bucket refuses does not charge the first")
    func allOrNothing() async throws {
        let redis = try await RedisServer()
        let store = try RedisLimitStore(url: redis.url, configuration: Self.patient)
        let wide = LimitCharge("i:wide", Self.limit(10)), narrow = LimitCharge("k:narrow", Self.limit(2))
        try await expectSameAsLocal(store, [([wide, narrow], 1), ([wide, narrow], 1)])
        let before = try await store.client.send(["GET", "keyward:rl:i:wide"])
        let refused = try await store.decide([wide, narrow], cost: 1)
        #expect(!refused.admitted && refused.binding == narrow)
        #expect(try await store.client.send(["GET", "keyward:rl:i:wide"]) == before)
        // The whole sequence again on fresh buckets, compared with the local limiter throughout.
        let w2 = LimitCharge("i:w2", Self.limit(10)), n2 = LimitCharge("k:n2", Self.limit(2))
        try await expectSameAsLocal(store, Array(repeating: ([w2, n2], 1), count: 4) + Array(repeating: ([w2], 1), count: 9))
        await store.close()
    }

    @Test("a peek bucket must admit but is never written")
    func peek() async throws {
        let redis = try await RedisServer()
        let store = try RedisLimitStore(url: redis.url, configuration: Self.patient)
        let fail = LimitCharge("f:1.2.3.4|i:x", Self.limit(3)), key = LimitCharge("k:x", Self.limit(5))
        var peeked = fail
        peeked.peek = true
        let local = RateLimiter<BucketID>()
        try await expectSameAsLocal(store, [([peeked, key], 1), ([peeked, key], 1)], local: local)
        #expect(try await store.client.send(["EXISTS", "keyward:rl:f:1.2.3.4|i:x"]) == .integer(0))
        // Failures exhaust the failure bucket; then the peek refuses and charges the key nothing.
        try await expectSameAsLocal(store, Array(repeating: ([fail], 1), count: 3) + [([peeked, key], 1), ([key], 1)], local: local)
        #expect(try await store.client.send(["EXISTS", "keyward:rl:f:1.2.3.4|i:x"]) == .integer(1))
        await store.close()
    }

    @Test("a written key expires when its bucket is whole again")
    func expiry() async throws {
        let redis = try await RedisServer()
        let store = try RedisLimitStore(url: redis.url, configuration: Self.patient)
        let v = try await store.decide([LimitCharge("k:ttl", Self.limit(5))], cost: 2)
        #expect(v.admitted)
        // Two requests of a 720 s interval: whole again in 1440 s.
        guard case .integer(let pttl) = try await store.client.send(["PTTL", "keyward:rl:k:ttl"]) else { Issue.record("no PTTL"); return }
        #expect(pttl > 1_400_000 && pttl <= 1_440_000)
        await store.close()
    }

    @Test("the Redis host's clock stepped back hours: a bucket waits at most one interval, not the step")
    func clockStepBack() async throws {
        let redis = try await RedisServer()
        let store = try RedisLimitStore(url: redis.url, configuration: Self.patient)
        guard case .array(let t?) = try await store.client.send(["TIME"]), let s = t.first?.string.flatMap(Int64.init) else {
            Issue.record("no TIME"); return
        }
        // What a TAT written before a 2 h step back of the clock looks like now: 3 h ahead (2 h + one horizon).
        _ = try await store.client.send(["SET", "keyward:rl:k:step", String((s + 3 * 3600) * 1_000_000)])
        let v = try await store.decide([LimitCharge("k:step", Self.limit(5))], cost: 1)
        #expect(!v.admitted)
        #expect(v.decision.retryAfter <= .seconds(720) && v.decision.reset <= .seconds(3600))
        await store.close()
    }

    @Test("200 concurrent requests from 3 stores (3 nodes' connections) on a limit of 50 admit exactly 50")
    func concurrentNodes() async throws {
        let redis = try await RedisServer()
        let stores = try (0..<3).map { _ in try RedisLimitStore(url: redis.url, configuration: Self.patient) }
        let charge = LimitCharge("i:shared", Self.limit(50))
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<200 { group.addTask { try await stores[n % 3].decide([charge], cost: 1).admitted } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 50)
        for s in stores { await s.close() }
    }

    @Test("Redis stopped: decide throws (and reports it); restarted on the same port: the next decide works")
    func stopAndRestart() async throws {
        let redis = try await RedisServer()
        let errors = Mutex(0)
        let store = try RedisLimitStore(url: redis.url, configuration: Self.patient, onError: { _ in errors.withLock { $0 += 1 } })
        let charge = LimitCharge("k:r", Self.limit(5))
        #expect(try await store.decide([charge], cost: 1).admitted)
        redis.stop()
        for _ in 0..<3 {
            await #expect { try await store.decide([charge], cost: 1) } throws: { ($0 as? KeywardError)?.code == .unavailable }
        }
        #expect(errors.withLock { $0 } == 3)
        try await redis.restart()
        // The script cache went with the old process: EVALSHA gets NOSCRIPT, the store falls back to EVAL.
        let again = try await store.decide([charge], cost: 1)
        #expect(again.admitted && again.decision.remaining == 4)
        try await store.ping()
        await store.close()
        await #expect(throws: KeywardError.self) { try await store.decide([charge], cost: 1) }
    }

    @Test("a password in the URL logs in; a wrong or missing one throws an error that never shows it")
    func password() async throws {
        let secret = "pw-\(UInt64.random(in: 0 ... .max))-x/y"
        let redis = try await RedisServer(password: secret)
        let store = try RedisLimitStore(url: redis.url, configuration: Self.patient)
        #expect(try await store.decide([LimitCharge("k:p", Self.limit(5))], cost: 1).admitted)
        await store.close()
        let wrong = "wrong-\(UInt64.random(in: 0 ... .max))"
        for url in ["redis://:\(wrong)@127.0.0.1:\(redis.port)", "redis://127.0.0.1:\(redis.port)"] {
            let bad = try RedisLimitStore(url: url, configuration: Self.patient)
            do {
                _ = try await bad.decide([LimitCharge("k:p", Self.limit(5))], cost: 1)
                Issue.record("decide with a bad login did not throw")
            } catch {
                let text = "\(error)"
                #expect(text.contains("WRONGPASS") || text.contains("NOAUTH"), "\(text)")
                #expect(!text.contains(wrong) && !text.contains(secret))
            }
            await bad.close()
        }
        #expect(!"\(try RedisURL(parsing: redis.url))".contains(secret))
    }

    @Test("a database number in the URL: the store's keys go to that database (SELECT), with AUTH first")
    func database() async throws {
        let redis = try await RedisServer(password: "pw-\(UInt64.random(in: 0 ... .max))")
        let store = try RedisLimitStore(url: redis.url + "/2", configuration: Self.patient)
        #expect(try await store.decide([LimitCharge("k:db", Self.limit(5))], cost: 1).admitted)
        let db0 = try RedisLimitStore(url: redis.url + "/0", configuration: Self.patient)
        #expect(try await db0.client.send(["EXISTS", "keyward:rl:k:db"]) == .integer(0))
        #expect(try await store.client.send(["EXISTS", "keyward:rl:k:db"]) == .integer(1))
        await store.close()
        await db0.close()
    }

    @Test("a server that sends junk, an oversized reply or nothing: an error, never a crash or a hang")
    func badServers() async throws {
        var fast = RESPClient.Configuration()
        fast.commandTimeout = .milliseconds(300)
        let greetings: [[UInt8]?] = [Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8), Array("$2000000\r\n".utf8),
                                     Array("*1\r\n:12x\r\n".utf8), Array("+OK\r\n".utf8), nil]
        for greeting in greetings {
            let listener = try SilentListener(greeting: greeting)
            defer { listener.close() }
            let store = try RedisLimitStore(url: "redis://127.0.0.1:\(listener.port)", configuration: fast)
            await #expect { try await store.decide([LimitCharge("k:j", Self.limit(5))], cost: 1) } throws: { error in
                (error as? KeywardError)?.code == .unavailable
            }
            await store.close()
        }
    }

    @Test("Redis URLs: password, port, database parsed; bad ones refused without quoting them")
    func urls() throws {
        let u = try RedisURL(parsing: "redis://:p%40ss%2Fw@cache.internal:6380/2")
        #expect(u == RedisURL(host: "cache.internal", port: 6380, password: "p@ss/w", database: 2))
        #expect(!u.description.contains("p@ss") && !u.description.contains("p%40ss"))
        #expect(try RedisURL(parsing: "redis://10.0.0.5") == RedisURL(host: "10.0.0.5"))
        #expect(try RedisURL(parsing: "redis://app:pw@[::1]:7000/0") == RedisURL(host: "::1", port: 7000, username: "app", password: "pw"))
        for bad in ["http://:hunter2@h", "rediss://:hunter2@h", "redis://:hunter2@h/x", "redis://:hunter2@h:99999", "redis://:hunter2@", "hunter2"] {
            #expect { try RedisURL(parsing: bad) } throws: { error in
                (error as? KeywardError)?.code == .validation && !"\(error)".contains("hunter2")
            }
        }
    }
}
