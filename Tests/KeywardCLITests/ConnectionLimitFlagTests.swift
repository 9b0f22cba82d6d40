import Foundation
import KeywardTesting
import Testing

/// Issue 10 item 3 through the real binary: the timeout and cap flags and variables reach the
/// server, bad values stop it at start, and `keyward serve` raises its soft open-file limit so
/// the connection cap, not the descriptor table, is what a greedy client meets.
@Suite("keyward serve connection limits", .serialized)
struct ConnectionLimitFlagTests {
    @Test("bad timeout and connection-cap values exit 2 naming the flag")
    func badValues() async throws {
        for args in [["--idle-timeout-seconds", "0"], ["--head-timeout-seconds", "soon"], ["--body-timeout-seconds", "3601"],
                     ["--max-connections", "0"], ["--max-connections-per-source", "-3"]] {
            let r = try await KeywardBinary.run(["serve", "--data-dir", "/nonexistent/keyward-limits"] + args)
            #expect(r.status == 2, "\(args)")
            #expect(!r.stderr.isEmpty, "\(args)")
        }
        let r = try await KeywardBinary.run(["serve", "--data-dir", "/nonexistent/keyward-limits"], env: ["KEYWARD_HEAD_TIMEOUT_SECONDS": "0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--head-timeout-seconds"))
    }

    @Test("the idle timeout from a flag and the per-source cap from the environment reach the server; the soft open-file limit is raised to the hard one")
    func flagsReachServer() async throws {
        let dir = try TempDirectory("keyward-limits")
        defer { dir.remove() }
        let (p, url, _) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), extraArgs: ["--idle-timeout-seconds", "1"],
                                                        env: ["KEYWARD_MAX_CONNECTIONS_PER_SOURCE": "2"],
                                                        launcher: ["/usr/bin/prlimit", "--nofile=1024:4096"])
        defer { _ = p.stop() }
        let limits = try String(contentsOfFile: "/proc/\(p.pid)/limits", encoding: .utf8)
        let files = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        #expect(files.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2) == ["4096", "4096"])

        var held: [RawHTTPConnection] = []
        for _ in 0..<2 {
            let c = try RawHTTPConnection(baseURL: url)
            try c.send(RawHTTPConnection.request("GET", "/healthz", token: nil))
            #expect(try await c.read().status == 200)
            held.append(c)
        }
        #expect(try await RawHTTPConnection(baseURL: url).isEndedByPeer()) // the third from this address
        #expect(try await held[0].isEndedByPeer()) // idle for the configured second
    }
}
