import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardScanner
import Logging

/// `keyward bench contain`: leak to containment, end to end. A release server; per run, a temp
/// git repository with a live `kw_live_` key committed three commits back (then deleted); the
/// clock starts when `keyward scan --git --report-to` is spawned and stops when verify, polled
/// every 2 ms over HTTP, answers `revoked`. Also printed: the scan process's own wall time and
/// the incident's server-side time to contain. Target: under 1 s end to end.
struct BenchContainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "contain", abstract: "Leak in git → scan --report-to → key revoked (end-to-end time).")

    @Option(help: "Measured runs (each with its own key and repository).") var runs: Int = 3

    func run() async throws {
        guard (1...20).contains(runs) else { throw CLIExit.error("--runs must be from 1 to 20") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/git") else { throw CLIExit.error("git is not installed") }
        let dir = NSTemporaryDirectory() + "keyward-bench-contain-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        print("bench contain: seeding \(runs) live keys …")
        let seeded = try await seed(dataDir: dir + "/data")
        let server = try BenchServer.start(dataDir: dir + "/data", logDir: dir)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let verifier = APIClient(base: base, token: seeded.verifyBearer)
        let reader = APIClient(base: base, token: seeded.admin)
        let exe = ProcStatus.executablePath()
        let cache = dir + "/rule-cache"
        // The rule database is compiled once per rule set and cached (as on any machine that has
        // scanned before); warm it outside the clock.
        _ = try? Subprocess.capture(exe, ["scan", dir + "/data", "--cache-dir", cache, "--format", "json"])

        print("\nrun  scan→revoked ms  scan process ms  server time-to-contain ms")
        var endToEnd: [Double] = []
        for (i, key) in seeded.leaked.enumerated() {
            let repo = try makeRepo(dir + "/repo-\(i)", key: key)
            let clock = ContinuousClock()
            let t0 = clock.now
            let pid = try BenchServer.spawn([exe, "scan", repo, "--git", "--format", "json", "--cache-dir", cache, "--report-to", base],
                                            env: ["KEYWARD_TOKEN": seeded.reporter], stdout: dir + "/scan-\(i).out", stderr: nil)
            var revokedAt: Duration?
            var exitedAt: Duration?
            while revokedAt == nil || exitedAt == nil {
                if exitedAt == nil {
                    var status: Int32 = 0
                    if waitpid(pid, &status, WNOHANG) == pid { exitedAt = clock.now - t0 }
                }
                if revokedAt == nil {
                    let r = try await verifier.call("POST", "/v1/keys/verify", body: VerifyRequest(key: key), as: VerifyResponse.self)
                    if r.reason == "revoked" { revokedAt = clock.now - t0 }
                }
                if clock.now - t0 > .seconds(60) { kill(pid, SIGKILL); throw CLIExit.error("the key was not revoked within 60 s") }
                try await Task.sleep(for: .milliseconds(2))
            }
            let incidents = try await reader.call("GET", "/v1/incidents?limit=1", as: ListResponse<IncidentResponse>.self)
            let ttc = incidents.items.first?.timeToContainMs.map(String.init) ?? "-"
            let e2e = Self.ms(revokedAt!)
            endToEnd.append(e2e)
            print(String(format: "%3d  %16.1f  %15.1f  %25@", i + 1, e2e, Self.ms(exitedAt!), ttc))
        }
        let best = endToEnd.min() ?? .nan, worst = endToEnd.max() ?? .nan
        print(String(format: "\nscan start → key answers revoked: best %.0f ms, worst %.0f ms (target < 1000 ms: %@)", best, worst,
                     worst < 1000 ? "met" : "NOT met"))
    }

    static func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }

    struct Seeded {
        var admin: String
        var verifyBearer: String
        var reporter: String
        var leaked: [String]
    }

    /// A store with an identity, `runs` live keys (each with a derived key), and the bearers.
    func seed(dataDir: String) async throws -> Seeded {
        var logger = Logger(label: "keyward.bench")
        logger.logLevel = .error
        // The store `keyward serve` will open, seeded in process (the server is started afterwards).
        let (m, _) = try await Governance.open(StoreLocation(dataDirectory: dataDir), create: true, ruleCacheDirectory: Settings.ruleCache(Settings()[.ruleCacheDir]),
                                               logger: logger)
        do {
            func bearer(_ scope: String) async throws -> String {
                try await m.issueKey(NewKey(identityID: .keyward, scopes: [scope], environment: .live, ttlSeconds: 86_400, expiresAt: nil,
                                            name: "bench", nonExpiring: false, exceptionReason: nil), actor: .system).1.reveal()
            }
            let idn = try await m.createIdentity(NewIdentity(name: "orders-api", kind: .service, businessOwner: "orders", technicalOwner: "bench@example.com",
                                                             purpose: "benchmark", environment: "production", dataClassification: .internal, labels: [:],
                                                             allowedScopes: ["orders:read", "orders:write"]), actor: .system)
            var leaked: [String] = []
            for _ in 0..<runs {
                let (k, s) = try await m.issueKey(NewKey(identityID: idn.id, scopes: ["orders:read", "orders:write"], environment: .live, ttlSeconds: 86_400,
                                                         expiresAt: nil, name: nil, nonExpiring: false, exceptionReason: nil), actor: .system)
                _ = try await m.issueKey(NewKey(identityID: idn.id, scopes: ["orders:read"], environment: .live, ttlSeconds: 3_600, expiresAt: nil,
                                                name: "derived", nonExpiring: false, exceptionReason: nil, derivedFrom: k.id), actor: .system)
                leaked.append(s.reveal())
            }
            let seeded = Seeded(admin: try await bearer("keyward:read"), verifyBearer: try await bearer("keyward:verify"),
                                reporter: try await bearer("keyward:report"), leaked: leaked)
            await m.store.close()
            return seeded
        } catch {
            await m.store.close()
            throw error
        }
    }

    /// A repository whose first commit (three commits back) adds the key; later commits delete it.
    func makeRepo(_ path: String, key: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path + "/config", withIntermediateDirectories: true)
        let env = ["GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
                   "GIT_COMMITTER_EMAIL": "bench@example.com", "HOME": path, "PATH": "/usr/bin:/bin"]
        func git(_ args: String...) throws {
            let r = try Subprocess.capture("/usr/bin/git", ["-C", path] + args, environment: env)
            guard r.status == 0 else { throw CLIExit.error("git \(args.first ?? "") failed in the benchmark repository") }
        }
        try git("init", "-q", "-b", "main")
        try Data("ORDERS_API_KEY=\(key)\n".utf8).write(to: URL(fileURLWithPath: path + "/config/orders.env"))
        try git("add", "-A"); try git("commit", "-q", "-m", "add config")
        try Data("# orders\n".utf8).write(to: URL(fileURLWithPath: path + "/README.md"))
        try git("add", "-A"); try git("commit", "-q", "-m", "docs")
        try FileManager.default.removeItem(atPath: path + "/config/orders.env")
        try git("add", "-A"); try git("commit", "-q", "-m", "remove config")
        return path
    }
}
