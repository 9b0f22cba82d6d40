import ArgumentParser
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import Logging

/// `keyward bench verify`: a release server with N active keys, driven by wrk at 64
/// connections; `/healthz` (constant body, no I/O) and `/v1/keys/verify` (half valid keys,
/// half checksum-valid unknown keys, with a `keyward:verify` bearer) measured in the same run.
/// Rate limits are on, as by default: every verify is charged to its key, its identity and its
/// reported source (valid keys from 250 addresses) or, for an unknown key, to the failure bucket
/// of its address (250 others, which soon answer `rate_limited`, as a scanner would get). Every
/// abuse detector is on, as by default: each answer feeds them, and the unknown half's addresses
/// are blocked by the enumeration detector after their twentieth distinct guess (then answered
/// `source_blocked`, before any lookup), as a scanner's would be. The
/// bench identity has a limit of its own above the load (a data setting, not a server flag), so
/// the valid half measures the admitted path, not refusals.
/// Targets: verify throughput ≥ 0.9× healthz; verify p99 ≤ 1.25× healthz p99.
struct BenchVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Verify throughput and latency against /healthz (needs wrk).")

    @Option(help: "Active keys in the store.") var keys: Int = 100_000
    @Option(help: "wrk connections.") var connections: Int = 64
    @Option(help: "wrk threads (default: one per CPU wrk runs on).") var threads: Int?
    // Six short alternating rounds, not two long ones: on this VM one round's p99 moves by a
    // third from round to round for either endpoint alike, and a ratio of two rounds' means
    // decided nothing; short rounds also pair each verify round with a healthz round run
    // under the same conditions.
    @Option(help: "Seconds per measurement.") var duration: Int = 5
    @Option(help: "Alternating healthz/verify rounds.") var rounds: Int = 6
    @Flag(name: .customLong("share-cpus"), help: "Let the server and wrk share every CPU instead of giving each half of them.") var shareCPUs = false

    struct WrkResult {
        var rps: Double
        var p50: Double
        var p99: Double
        var non2xx: Int
        /// Requests completed in the run.
        var requests: Int = 0
    }

    func run() async throws {
        guard (1...5_000_000).contains(keys), (1...10_000).contains(connections), (1...64).contains(threads ?? 1), (1...600).contains(duration), (1...20).contains(rounds) else {
            throw CLIExit.error("bad benchmark parameters")
        }
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile) else {
            throw CLIExit.error("wrk is not installed (scripts/install.sh --test installs it)")
        }
        let dir = NSTemporaryDirectory() + "keyward-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        print("bench verify: seeding \(keys) keys …")
        let (bearer, valid) = try await seed(dataDir: dir + "/data")
        var unknown: [String] = []
        for _ in 0..<valid.count { unknown.append(APIKeyFormat.generate(environment: .live).reveal()) }

        // The server and the load generator each get half of the CPUs, as if on two machines.
        // Sharing them, wrk's threads and the server's busy event loops take turns a scheduler
        // slice at a time, and verify, which never leaves the event loop, showed that slice in
        // its p99 (3.3–3.7 ms) while /healthz, which hands work to other threads and sleeps
        // between, did not. `--share-cpus` measures that arrangement.
        let all = CPUSet.allowed() ?? Array(0..<ProcessInfo.processInfo.activeProcessorCount)
        let split = !shareCPUs && all.count >= 2 && FileManager.default.isExecutableFile(atPath: BenchServer.taskset)
        let serverCPUs = split ? Self.cpuList(all.prefix(all.count / 2)) : nil
        let clientCPUs = split ? Self.cpuList(all.dropFirst(all.count / 2)) : nil
        let threads = threads ?? (split ? all.count - all.count / 2 : all.count)
        let server = try BenchServer.start(dataDir: dir + "/data", logDir: dir, cpus: serverCPUs)
        print("bench verify: " + (split ? "server on CPUs \(serverCPUs!), wrk (\(threads) threads) on CPUs \(clientCPUs!)" : "server and wrk (\(threads) threads) share \(all.count) CPUs"))
        defer { server.stop() }
        print("bench verify: rate limits on (defaults; the bench identity's own limit \(Self.identityLimit?.summary ?? "-"))")
        print("bench verify: abuse detectors on (defaults: \(DetectorKind.allCases.map { "\($0.rawValue)=\(DetectionPolicy().action($0, .live).rawValue)" }.joined(separator: ", ")))")
        print("bench verify: server (\(BenchServer.configuration)) pid \(server.pid) on port \(server.port), RSS \(String(format: "%.0f", ProcStatus.rssMiB(pid: server.pid))) MiB")

        var bodies: [String] = []
        for i in 0..<valid.count {
            bodies.append("{\"key\":\"\(valid[i])\",\"scopes\":[\"bench:read\"],\"source\":{\"ip\":\"10.0.\(i % 250).1\",\"user_agent\":\"bench\"}}")
            bodies.append("{\"key\":\"\(unknown[i])\",\"scopes\":[\"bench:read\"],\"source\":{\"ip\":\"10.1.\(i % 250).1\",\"user_agent\":\"bench\"}}")
        }
        // Both endpoints are driven through the same Lua request() path with requests formatted
        // once at start-up, so the client-side cost per request is the same for both.
        let auth = "[\"Authorization\"] = \"Bearer \(bearer)\""
        let lua = try writeLua(dir + "/verify.lua", bodies.map { "wrk.format(\"POST\", \"/v1/keys/verify\", {[\"Content-Type\"] = \"application/json\", \(auth)}, [[\($0)]])" })
        let healthLua = try writeLua(dir + "/healthz.lua", bodies.map { _ in "wrk.format(\"GET\", \"/healthz\", {\(auth)})" })
        let base = "http://127.0.0.1:\(server.port)"
        // Warm-up (not measured).
        _ = try runWrk(wrk, cpus: clientCPUs, ["-t\(threads)", "-c\(connections)", "-d3s", "--latency", "-s", lua, base])
        _ = try runWrk(wrk, cpus: clientCPUs, ["-t\(threads)", "-c\(connections)", "-d2s", "--latency", "-s", healthLua, base])
        let c = try Self.compare(rounds: rounds, column: "endpoint",
                                 baseline: ("/healthz", { try runWrk(wrk, cpus: clientCPUs, ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency", "-s", healthLua, base]) }),
                                 subject: ("/v1/keys/verify", { try runWrk(wrk, cpus: clientCPUs, ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency", "-s", lua, base]) }))
        let rssAfter = ProcStatus.rssMiB(pid: server.pid)
        let spread = c.roundP99Ratios.sorted()
        print(String(format: "verify/healthz p99 per round, lowest to highest (each verify round over the healthz round before it): %@",
                     spread.map { String(format: "%.2f", $0) }.joined(separator: " ")))
        print(String(format: "verify/healthz throughput %.3f (target ≥ 0.9: %@); verify/healthz p99 %.3f (target ≤ 1.25: %@)",
                     c.throughput, c.throughput >= 0.9 ? "met" : "NOT met", c.p99, c.p99 <= 1.25 ? "met" : "NOT met"))
        print(String(format: "server RSS after the run: %.0f MiB with %d keys", rssAfter, keys))
        try c.requireAll2xx()
    }

    /// Two loads measured in alternating rounds in one run, the baseline first.
    struct Comparison {
        var baseline: [WrkResult] = [], subject: [WrkResult] = []

        static func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
        /// Subject over baseline: mean throughput, and mean p99.
        var throughput: Double { Self.mean(subject.map(\.rps)) / Self.mean(baseline.map(\.rps)) }
        var p99: Double { Self.mean(subject.map(\.p99)) / Self.mean(baseline.map(\.p99)) }
        /// Each round's subject p99 over its baseline's (the spread behind `p99`).
        var roundP99Ratios: [Double] { zip(subject, baseline).map { $0.p99 / $1.p99 } }

        func requireAll2xx() throws {
            if (baseline + subject).contains(where: { $0.non2xx > 0 }) {
                throw CLIExit.error("some responses were not 2xx: the measurement is invalid")
            }
        }
    }

    /// Runs `rounds` alternating rounds of `baseline` and `subject` and prints them as one table.
    static func compare(rounds: Int, column: String, baseline: (name: String, run: () throws -> WrkResult),
                        subject: (name: String, run: () throws -> WrkResult)) throws -> Comparison {
        var c = Comparison()
        for _ in 0..<rounds {
            c.baseline.append(try baseline.run())
            c.subject.append(try subject.run())
        }
        let width = max(baseline.name.count, subject.name.count, column.count)
        func pad(_ s: String) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }
        print("")
        print("round  \(pad(column))      req/s      p50 ms   p99 ms   non-2xx")
        for r in 0..<rounds {
            for (name, x) in [(baseline.name, c.baseline[r]), (subject.name, c.subject[r])] {
                print(String(format: "%5d  %@ %9.0f  %7.3f  %7.3f  %d", r + 1, pad(name) as NSString, x.rps, x.p50, x.p99, x.non2xx))
            }
        }
        print("")
        return c
    }

    /// A wrk script cycling through requests built once (each entry a Lua expression).
    func writeLua(_ path: String, _ requests: [String]) throws -> String {
        let script = """
            local reqs = {\(requests.joined(separator: ",\n"))}
            local n = #reqs
            local i = 0
            request = function()
              i = i + 1
              return reqs[(i % n) + 1]
            end
            """
        guard FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIExit.error("cannot write \(path)")
        }
        return path
    }

    /// Creates the store with N keys of one bench identity and a `keyward:verify` bearer.
    func seed(dataDir: String) async throws -> (String, [String]) {
        var logger = Logger(label: "keyward.bench")
        logger.logLevel = .error
        // The store `keyward serve` will open, seeded in process (the server is started afterwards).
        let (m, _) = try await Governance.open(StoreLocation(dataDirectory: dataDir), create: true, ruleCacheDirectory: Settings.ruleCache(Settings()[.ruleCacheDir]),
                                               logger: logger)
        do {
            let (_, bearer) = try await m.issueKey(NewKey(identityID: .keyward, scopes: ["keyward:verify"], environment: .live, ttlSeconds: 86_400,
                                                          expiresAt: nil, name: "bench", nonExpiring: false, exceptionReason: nil), actor: .system)
            let idn = try await m.createIdentity(NewIdentity(name: "bench", kind: .service, businessOwner: "bench", technicalOwner: "bench",
                                                             purpose: "benchmark", environment: "bench", dataClassification: .internal, labels: [:],
                                                             allowedScopes: ["bench:read", "bench:write"],
                                                             rateLimit: Self.identityLimit), actor: .system)
            var valid: [String] = []
            var left = keys
            while left > 0 {
                let n = min(left, 10_000)
                let kept = try await m.bulkIssue(count: n, identity: idn.id, scopes: [Scope("bench:read")!], environment: .live, ttl: 86_400 * 30,
                                                 actor: .system, keep: max(0, 1_000 - valid.count))
                valid += kept.map { $0.reveal() }
                left -= n
            }
            await m.store.close()
            return (bearer.reveal(), valid)
        } catch {
            await m.store.close()
            throw error
        }
    }

    /// The bench identity's own limit: a million a second, above any load here, so every valid
    /// verify is charged and admitted.
    static let identityLimit = RateLimit(limit: 1_000_000, periodSeconds: 1)

    /// A taskset CPU list.
    static func cpuList(_ cpus: ArraySlice<Int>) -> String { cpus.map(String.init).joined(separator: ",") }

    func runWrk(_ wrk: String, cpus: String?, _ args: [String]) throws -> WrkResult {
        let cmd = BenchServer.pinned(cpus) + [wrk] + args
        let out = try BenchServer.capture(cmd[0], Array(cmd.dropFirst()))
        func ms(_ token: Substring) -> Double {
            let s = String(token)
            for (suffix, mult) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where s.hasSuffix(suffix) {
                return (Double(s.dropLast(suffix.count)) ?? .nan) * mult
            }
            return .nan
        }
        var r = WrkResult(rps: 0, p50: .nan, p99: .nan, non2xx: 0)
        for line in out.split(separator: "\n") {
            let f = line.split(whereSeparator: \.isWhitespace)
            if f.first == "Requests/sec:", f.count > 1 { r.rps = Double(f[1]) ?? 0 }
            if f.first == "50%", f.count > 1 { r.p50 = ms(f[1]) }
            if f.first == "99%", f.count > 1 { r.p99 = ms(f[1]) }
            if line.contains("Non-2xx"), let n = f.last.flatMap({ Int($0) }) { r.non2xx = n }
            if f.count > 2, f[1] == "requests", f[2] == "in", let n = Int(f[0]) { r.requests = n }
        }
        return r
    }
}
