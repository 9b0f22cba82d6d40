import Foundation
import KeywardTesting
import Testing

// case 69 of docs/security-cases.md (issue 10 item 7): a real storage fault, no mock. The running server's
// file-size limit (RLIMIT_FSIZE) is lowered with prlimit to a little above its files' sizes, so
// SQLite's next write past it fails with EFBIG (the server ignores SIGXFSZ), as a full disk would.
@Suite("Storage faults", .serialized)
struct StoreFaultTests {
    struct Client {
        let url: String
        let token: String

        func send(_ method: String, _ path: String, _ body: String? = nil) async throws -> RawHTTPConnection.Response {
            let c = try RawHTTPConnection(baseURL: url)
            try c.send(RawHTTPConnection.request(method, path, token: token, body: body))
            return try await c.read()
        }
    }

    /// `keyward serve` in `data` with an identity that may hold `a:read`: the process, a client with the admin key, the identity's id.
    static func start(_ data: String, _ extraArgs: [String] = []) async throws -> (BackgroundProcess, Client, String) {
        let (p, url, admin) = try await KeywardBinary.serve(dataDirectory: data, extraArgs: extraArgs)
        let c = Client(url: url, token: try #require(admin))
        let idn = try await c.send("POST", "/v1/identities", #"""
            {"name":"svc","kind":"service","environment":"prod","business_owner":"ops","technical_owner":"ops","purpose":"p","allowed_scopes":["a:read"]}
            """#)
        return (p, c, try #require(Self.json(idn)["id"] as? String, "\(idn.status) \(idn.body)"))
    }

    static func json(_ r: RawHTTPConnection.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.body.utf8))) as? [String: Any] ?? [:]
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    static func sqlite(_ db: String, _ sql: String) async throws -> String {
        try await ProcessRunner.run("/usr/bin/sqlite3", [db, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sets the soft limit only: lowering the hard one could not be undone without CAP_SYS_RESOURCE.
    static func setFileSizeLimit(_ pid: pid_t, _ value: String) async throws {
        let r = try await ProcessRunner.run("/usr/bin/prlimit", ["--pid", String(pid), "--fsize=\(value):"])
        #expect(r.status == 0, "prlimit: \(r.stderr)")
    }

    /// Whether `signal` is in the process's ignored set (`SigIgn` in /proc/<pid>/status).
    static func ignoresSignal(_ pid: pid_t, _ signal: Int32) throws -> Bool {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") })
        let mask = try #require(UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16))
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    /// A 503 with Retry-After and a problem+json body naming the fault.
    static func isUnavailable(_ r: RawHTTPConnection.Response) -> Bool {
        r.status == 503 && (Int(r.headers["retry-after"] ?? "") ?? 0) >= 1
            && r.headers["content-type"] == "application/problem+json" && r.body.contains("urn:keyward:error:server:unavailable")
    }

    @Test("writes past the file-size limit: 503 + Retry-After; verify answers, nothing half-written, audit chain ok; writes resume when the limit is raised")
    func fileSizeLimit() async throws {
        let dir = try TempDirectory("keyward-fault")
        defer { dir.remove() }
        let data = dir.file("data")
        let (p, c, idnID) = try await Self.start(data, ["--usage-flush-seconds", "1"])
        defer { p.stop() }
        func issue() async throws -> RawHTTPConnection.Response {
            try await c.send("POST", "/v1/keys", #"{"identity_id":"\#(idnID)","scopes":["a:read"],"environment":"live"}"#)
        }
        let first = try await issue()
        let keyID = try #require(Self.json(first)["id"] as? String)
        let key = try #require(Self.json(first)["key"] as? String)

        // SIGXFSZ is ignored, so a write past the limit fails with EFBIG instead of ending the server.
        // (Checked on the disposition: Swift's worker threads, where SQLite writes, block the
        // signal anyway, but any thread that does not would be killed by its default action.)
        #expect(try Self.ignoresSignal(p.pid, SIGXFSZ))

        let sizes = ["keyward.sqlite", "keyward.sqlite-wal", "keyward.sqlite-shm"].map { Self.size(data + "/" + $0) }
        try await Self.setFileSizeLimit(p.pid, String(sizes.max()! + 16_384))
        var issued = 1
        var refusal: RawHTTPConnection.Response?
        for _ in 0..<1_000 {
            let r = try await issue()
            guard r.status == 201 else { refusal = r; break }
            issued += 1
        }
        let refused = try #require(refusal, "no write failed under the file-size limit")
        #expect(Self.isUnavailable(refused), "\(refused.status) \(refused.headers) \(refused.body)")
        #expect(!refused.body.contains("SQLite") && !refused.body.contains("keyward.sqlite")) // the fault is logged, not told
        // Rotate and revoke meet the same fault: refused, not half done.
        let rotate = try await c.send("POST", "/v1/keys/\(keyID)/rotate", #"{"grace_seconds":0}"#)
        #expect(Self.isUnavailable(rotate), "rotate: \(rotate.status) \(rotate.body)")
        let revoke = try await c.send("POST", "/v1/keys/\(keyID)/revoke", #"{"reason":"fault"}"#)
        #expect(Self.isUnavailable(revoke), "revoke: \(revoke.status) \(revoke.body)")

        // Verify answers from its index.
        let v = try await c.send("POST", "/v1/keys/verify", #"{"key":"\#(key)"}"#)
        #expect(v.status == 200)
        #expect(Self.json(v)["valid"] as? Bool == true)
        // The usage flusher meets the fault too, logs it and carries on; the store fault is logged.
        // Bounded poll: the flusher runs in the `keyward serve` child process, which a test cannot call.
        #expect(await eventually(timeout: .seconds(30)) { p.stderr.contains("usage flush failed") } != nil)
        #expect(p.stderr.contains("store fault"))
        #expect(p.exitStatus(wait: false) == nil, "the server died of the fault")

        // Nothing half-written: every committed key is whole, the refused ones do not exist.
        let db = data + "/keyward.sqlite"
        #expect(try await Self.sqlite(db, "SELECT count(*) FROM api_keys") == String(issued + 1)) // + the admin key
        #expect(try await Self.sqlite(db, "SELECT current_version || ' ' || status FROM api_keys WHERE id = '\(keyID)'") == "1 active")
        #expect(try await Self.sqlite(db, """
            SELECT count(*) FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM api_key_versions v WHERE v.key_id = k.id AND v.version = k.current_version)
            """) == "0")
        let audit = try await KeywardBinary.run(["audit", "verify", "--data-dir", data])
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")

        // The fault clears: writes succeed again on the same process.
        try await Self.setFileSizeLimit(p.pid, "unlimited")
        #expect(try await issue().status == 201)
        #expect(try await c.send("POST", "/v1/keys/\(keyID)/rotate", #"{"grace_seconds":0}"#).status == 200)
        #expect(try await c.send("POST", "/v1/keys/\(keyID)/revoke", #"{"reason":"after the fault"}"#).status == 200)
        #expect(try await KeywardBinary.run(["audit", "verify", "--data-dir", data]).status == 0)
        #expect(p.stop(SIGTERM) == 0)
        #expect(try await Self.sqlite(db, "PRAGMA integrity_check") == "ok")
    }

    @Test("the write lock held by another process past the 5 s busy timeout: 503 + Retry-After; verify answers; writes resume when it is let go")
    func busyTimeout() async throws {
        let dir = try TempDirectory("keyward-fault")
        defer { dir.remove() }
        let data = dir.file("data")
        let (p, c, idnID) = try await Self.start(data)
        defer { p.stop() }
        let body = #"{"identity_id":"\#(idnID)","scopes":["a:read"],"environment":"live"}"#
        let first = try await c.send("POST", "/v1/keys", body)
        let key = try #require(Self.json(first)["key"] as? String)

        // Another process (a backup tool, a careless sqlite3 session) takes the write lock and keeps it.
        let holder = try BackgroundProcess("/usr/bin/python3", ["-c", """
            import signal, sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            signal.pause()
            """, data + "/keyward.sqlite"], logDirectory: dir.path)
        defer { holder.stop() }
        _ = try await holder.waitForOutput { $0.contains("locked") }
        let refused = try await c.send("POST", "/v1/keys", body)
        #expect(Self.isUnavailable(refused), "\(refused.status) \(refused.body)")
        let v = try await c.send("POST", "/v1/keys/verify", #"{"key":"\#(key)"}"#)
        #expect(Self.json(v)["valid"] as? Bool == true)

        holder.stop()
        #expect(try await c.send("POST", "/v1/keys", body).status == 201)
        #expect(try await Self.sqlite(data + "/keyward.sqlite", "SELECT count(*) FROM api_keys") == "3") // the admin key and two issued
    }
}
