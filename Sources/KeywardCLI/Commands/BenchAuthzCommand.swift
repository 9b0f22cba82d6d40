import ArgumentParser
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import Logging

/// `keyward bench authz`: requests through NGINX with Keyward's forward-auth (the shipped
/// deploy/nginx/keyward-authz.conf) against the same NGINX proxying the same upstream with no
/// auth, in one run. The server runs in its default configuration (limits on) plus the authz
/// flags it needs; the upstream is a third NGINX server block answering a constant body, so the
/// upstream is not what is measured. Target: ≥ 0.7× the no-auth throughput. Then the ceiling
/// of that target on this machine: the same shipped block asking a stand-in authorizer that costs
/// nothing (a fourth server block answering 200 with the identity headers), against no auth.
struct BenchAuthzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "authz", abstract: "Throughput through NGINX with /v1/authz forward-auth against NGINX with no auth (needs wrk, nginx).")

    @Option(help: "wrk connections.") var connections: Int = 64
    @Option(help: "Seconds per measurement.") var duration: Int = 10
    @Option(help: "Alternating no-auth/authz rounds.") var rounds: Int = 2
    @Option(help: "The checkout holding deploy/nginx (default: the current folder).") var repository: String = "."

    func run() async throws {
        guard (1...10_000).contains(connections), (1...600).contains(duration), (1...20).contains(rounds) else { throw CLIExit.error("bad benchmark parameters") }
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile) else {
            throw CLIExit.error("wrk is not installed (scripts/install.sh --test installs it)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else { throw CLIExit.error("nginx is not installed (scripts/install.sh --test installs it)") }
        let conf = repository + "/deploy/nginx/keyward-authz.conf"
        guard let shipped = try? String(contentsOfFile: conf, encoding: .utf8) else { throw CLIExit.error("cannot read \(conf): run from the checkout or pass --repository") }
        let helper = try BenchVerifyCommand.parse(["--keys", "1"])
        let dir = NSTemporaryDirectory() + "keyward-bench-authz-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/nginx", withIntermediateDirectories: true)
        print("bench authz: seeding 20 identities with 50 keys each …")
        let keys = try await seed(dataDir: dir + "/data")

        let all = CPUSet.allowed() ?? Array(0..<ProcessInfo.processInfo.activeProcessorCount)
        let split = all.count >= 2 && FileManager.default.isExecutableFile(atPath: BenchServer.taskset)
        let serverCPUs = split ? BenchVerifyCommand.cpuList(all.prefix(all.count / 2)) : nil
        let clientCPUs = split ? BenchVerifyCommand.cpuList(all.dropFirst(all.count / 2)) : nil
        let threads = split ? all.count - all.count / 2 : all.count
        let flags = ["--authz-trusted-proxy", "127.0.0.1/32", "--authz-route", "GET /v1/*=bench:read"]
        let server = try BenchServer.start(dataDir: dir + "/data", logDir: dir, cpus: serverCPUs, extraArgs: flags)
        defer { server.stop() }
        let (authzPort, plainPort, upstreamPort) = (try Self.freePort(), try Self.freePort(), try Self.freePort())
        let (ceilingPort, freeAuthPort) = (try Self.freePort(), try Self.freePort())
        let ports = BenchAuthzNginx.Ports(authz: authzPort, keyward: server.port, upstream: upstreamPort, plain: plainPort, ceiling: ceilingPort, freeAuthorizer: freeAuthPort)
        let (block, main) = BenchAuthzNginx.configuration(shipped: shipped, ports: ports)
        try block.write(toFile: dir + "/nginx/keyward-authz.conf", atomically: true, encoding: .utf8)
        try main.write(toFile: dir + "/nginx/nginx.conf", atomically: true, encoding: .utf8)
        let nginx = try BenchServer.spawn(BenchServer.pinned(serverCPUs) + ["/usr/sbin/nginx", "-p", dir + "/nginx", "-e", "stderr", "-c", dir + "/nginx/nginx.conf",
                                                                             "-g", "daemon off;"], stdout: dir + "/nginx.out", stderr: nil)
        defer { kill(nginx, SIGTERM); var st: Int32 = 0; waitpid(nginx, &st, 0) }
        usleep(500_000)
        print("bench authz: server (\(BenchServer.configuration), plus \(flags.joined(separator: " "))) pid \(server.pid) on port \(server.port)")
        print("bench authz: nginx (1 worker) " + (split ? "with the server on CPUs \(serverCPUs!), wrk (\(threads) threads) on CPUs \(clientCPUs!)" : "sharing \(all.count) CPUs with wrk"))

        // Host explicitly: the requests are formatted when the script loads, before wrk knows the
        // URL, and NGINX (unlike Keyward) answers 400 to an HTTP/1.1 request without one.
        let requests = keys.enumerated().map { i, key in
            "wrk.format(\"GET\", \"/v1/orders/\(i)\", {[\"Host\"] = \"127.0.0.1\", [\"Authorization\"] = \"Bearer \(key)\", [\"X-Forwarded-For\"] = \"10.0.\(i % 250).1\"})"
        }
        let lua = try helper.writeLua(dir + "/authz.lua", requests)
        let authz = "http://127.0.0.1:\(authzPort)", plain = "http://127.0.0.1:\(plainPort)"
        let args = ["-t\(threads)", "-c\(connections)", "--latency", "-s", lua]
        _ = try helper.runWrk(wrk, cpus: clientCPUs, args + ["-d3s", authz])
        _ = try helper.runWrk(wrk, cpus: clientCPUs, args + ["-d2s", plain])
        let c = try BenchVerifyCommand.compare(rounds: rounds, column: "through nginx",
                                               baseline: ("no auth", { try helper.runWrk(wrk, cpus: clientCPUs, args + ["-d\(duration)s", plain]) }),
                                               subject: ("keyward /v1/authz", { try helper.runWrk(wrk, cpus: clientCPUs, args + ["-d\(duration)s", authz]) }))
        // What NGINX's auth_request itself leaves of the no-auth throughput here: the most any
        // authorizer could reach on this layout.
        let free = "http://127.0.0.1:\(ceilingPort)"
        _ = try helper.runWrk(wrk, cpus: clientCPUs, args + ["-d2s", free])
        let top = try BenchVerifyCommand.compare(rounds: 1, column: "through nginx",
                                                 baseline: ("no auth", { try helper.runWrk(wrk, cpus: clientCPUs, args + ["-d\(duration)s", plain]) }),
                                                 subject: ("a free authorizer", { try helper.runWrk(wrk, cpus: clientCPUs, args + ["-d\(duration)s", free]) }))
        print(String(format: "authz/no-auth throughput %.3f (target ≥ 0.7: %@)", c.throughput, c.throughput >= 0.7 ? "met" : "NOT met"))
        print(String(format: "ceiling: the same NGINX block with an authorizer that costs nothing, /no-auth %.3f; Keyward reaches %.0f%% of it",
                     top.throughput, 100 * c.throughput / top.throughput))
        try c.requireAll2xx()
        try top.requireAll2xx()
    }

    /// The store `keyward serve` will open: 20 identities with 50 `bench:read` keys each (limits
    /// are per identity too, so one identity would measure its limit, not the gateway).
    func seed(dataDir: String) async throws -> [String] {
        var logger = Logger(label: "keyward.bench")
        logger.logLevel = .error
        let (m, _) = try await Governance.open(StoreLocation(dataDirectory: dataDir), create: true, ruleCacheDirectory: Settings.ruleCache(Settings()[.ruleCacheDir]),
                                               logger: logger)
        do {
            var keys: [String] = []
            for i in 0..<20 {
                let idn = try await m.createIdentity(NewIdentity(name: "bench-\(i)", kind: .service, businessOwner: "bench", technicalOwner: "bench",
                                                                 purpose: "benchmark", environment: "bench", dataClassification: .internal, labels: [:],
                                                                 allowedScopes: ["bench:read"]), actor: .system)
                keys += try await m.bulkIssue(count: 50, identity: idn.id, scopes: [Scope("bench:read")!], environment: .live, ttl: 86_400,
                                              actor: .system, keep: 50).map { $0.reveal() }
            }
            await m.store.close()
            return keys
        } catch {
            await m.store.close()
            throw error
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw CLIExit.error("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
