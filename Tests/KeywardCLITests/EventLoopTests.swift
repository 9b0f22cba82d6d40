import Foundation
import KeywardTesting
import Testing

/// `keyward serve` sizes its event loops to the CPUs it may run on (a `taskset` or container
/// cpuset affinity mask NIO alone does not see), or to `--event-loops`; checked on the running
/// process's threads, which NIO names `NIO-SGLTN-<group>-#<n>` (its shared group) or
/// `NIO-ELT-<group>-#<n>`.
@Suite("Event loops of keyward serve", .serialized)
struct EventLoopTests {
    static func eventLoopThreads(_ pid: pid_t) -> Int {
        let dir = "/proc/\(pid)/task"
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return tasks.filter { t in
            let name = (try? String(contentsOfFile: "\(dir)/\(t)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("NIO-SGLTN-") || name.hasPrefix("NIO-ELT-")
        }.count
    }

    static func serve(_ dir: TempDirectory, prefix: [String], args: [String] = []) async throws -> (BackgroundProcess, String) {
        let (p, url, _) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), extraArgs: args, launcher: prefix)
        return (p, url)
    }

    static func healthz(_ url: String) async throws -> Int32 {
        try await ProcessRunner.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", url + "/healthz"]).status
    }

    @Test("under taskset -c 0 on a machine with more CPUs, one event loop, and it serves")
    func followsAffinity() async throws {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        guard cpus >= 2, FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { return }
        let dir = try TempDirectory("keyward-loops")
        defer { dir.remove() }
        let (p, url) = try await Self.serve(dir, prefix: ["/usr/bin/taskset", "-c", "0"])
        defer { _ = p.stop() }
        #expect(try await Self.healthz(url) == 0)
        #expect(Self.eventLoopThreads(p.pid) == 1)
        #expect(p.stderr.contains("event loops") && p.stderr.contains("count=1"))
    }

    @Test("--event-loops N gives N event loops; without it and without a mask, NIO's default (one per core)")
    func explicitCount() async throws {
        let dir = try TempDirectory("keyward-loops")
        defer { dir.remove() }
        let (p, url) = try await Self.serve(dir, prefix: [], args: ["--event-loops", "3"])
        #expect(try await Self.healthz(url) == 0)
        #expect(Self.eventLoopThreads(p.pid) == 3)
        _ = p.stop()

        let (q, url2) = try await Self.serve(dir, prefix: [])
        defer { _ = q.stop() }
        #expect(try await Self.healthz(url2) == 0)
        #expect(Self.eventLoopThreads(q.pid) == ProcessInfo.processInfo.activeProcessorCount)
        #expect(!q.stderr.contains("event loops"))
    }

    @Test("a bad --event-loops or KEYWARD_EVENT_LOOPS exits 2 with a message")
    func badValues() async throws {
        for args in [["--event-loops", "0"], ["--event-loops", "many"], ["--event-loops", "5000"]] {
            let r = try await KeywardBinary.run(["serve", "--data-dir", "/nonexistent/keyward-loops"] + args)
            #expect(r.status == 2)
            #expect(!r.stderr.isEmpty)
        }
        let r = try await KeywardBinary.run(["serve", "--data-dir", "/nonexistent/keyward-loops"], env: ["KEYWARD_EVENT_LOOPS": "-1"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--event-loops"))
    }
}
