import Foundation
import KeywardTesting
import Testing

/// SECURITY-CASES 58, the crash part: Swift's crash reporter would print each register and the
/// 16 bytes it points at; `keyward` starts itself with SWIFT_BACKTRACE set so that a crash
/// report holds a backtrace and nothing from memory.
@Suite("Crash reports", .serialized)
struct CrashReportTests {
    @Test("a crashed server's report has its backtrace but no registers, memory or key")
    func redacted() async throws {
        let dir = try TempDirectory("keyward-crash")
        defer { dir.remove() }
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = nil
        let p = try Self.serve(dir, env: env)
        let out = try await p.waitForOutput { $0.contains("listening on http") }
        let key = try #require(out.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("kw_live_") }.map(String.init))
        let line = try #require(out.split(separator: "\n").first { $0.contains("listening on http") })
        let url = String(line[line.range(of: "http")!.lowerBound...]).trimmingCharacters(in: .whitespaces)

        // Restarted with the settings: same pid, the variable in its environment.
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(p.pid)/environ"))
        #expect(environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "SWIFT_BACKTRACE=enable=yes,registers=none,images=none,sanitize=yes" })
        // Started with core dumps allowed, it turned them off: a core file would hold all of memory.
        if Self.canRaiseCoreLimit { #expect(Self.softCoreLimit(p.pid) == "0") }

        // The key has just been through the server (bearer and body) when it crashes.
        let verify = try ProcessRunner.run("/usr/bin/curl", ["-s", "-X", "POST", url + "/v1/keys/verify", "-H", "Authorization: Bearer \(key)",
                                                             "-H", "Content-Type: application/json", "-d", "{\"key\":\"\(key)\"}"])
        #expect(verify.stdout.contains("\"valid\":true"))
        // A signal sent from outside is reported like a fault (the handler then returns, so the
        // server is stopped afterwards).
        kill(p.pid, SIGSEGV)
        let backtracer = ["/opt/swift/usr/libexec/swift/linux/swift-backtrace", "/usr/libexec/swift/linux/swift-backtrace"]
            .contains { FileManager.default.fileExists(atPath: $0) }
        if backtracer {
            let deadline = Date().addingTimeInterval(60)
            while !p.stderr.contains("Backtrace took") && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        } else {
            try await Task.sleep(for: .seconds(2))
        }
        _ = p.stop(SIGKILL)
        // stdout holds the admin key by design (printed once on first start); the report goes to stderr.
        let report = p.stderr
        if backtracer { #expect(report.contains("crashed"), "the backtracer ran") }
        #expect(!report.contains("Registers:"))
        let random = Array(key.dropFirst(8))
        for i in 0...(random.count - 8) {
            #expect(!report.contains(String(random[i..<(i + 8)])), "8 characters of the key in the crash report")
        }
    }

    @Test("a value of SWIFT_BACKTRACE set by the user is kept, with the core limit, and exit codes survive the restart")
    func userSettingKept() async throws {
        let dir = try TempDirectory("keyward-crash")
        defer { dir.remove() }
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        let p = try Self.serve(dir, env: env)
        defer { _ = p.stop() }
        _ = try await p.waitForOutput { $0.contains("listening on http") }
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(p.pid)/environ"))
        #expect(environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "SWIFT_BACKTRACE=enable=no" })
        if Self.canRaiseCoreLimit { #expect(Self.softCoreLimit(p.pid) == "unlimited") }
        env["SWIFT_BACKTRACE"] = nil
        #expect(try ProcessRunner.run(KeywardBinary.path(), ["frobnicate"], environment: env).status == 2)
        #expect(try ProcessRunner.run(KeywardBinary.path(), ["--help"], environment: env).status == 0)
    }

    /// `keyward serve` started through a shell that first allows core dumps (soft limit unlimited).
    static func serve(_ dir: TempDirectory, env: [String: String]) throws -> BackgroundProcess {
        try FileManager.default.createDirectory(atPath: dir.file("logs"), withIntermediateDirectories: true)
        return try BackgroundProcess("/bin/sh", ["-c", "ulimit -S -c unlimited 2>/dev/null; exec \"$0\" \"$@\"", KeywardBinary.path(),
                                                 "serve", "--data-dir", dir.file("data"), "--port", "0"],
                                     environment: env, logDirectory: dir.file("logs"))
    }

    /// Whether this process's hard core limit lets a child raise its soft limit to unlimited.
    static var canRaiseCoreLimit: Bool { hardCoreLimit(getpid()) == "unlimited" }

    static func softCoreLimit(_ pid: pid_t) -> String? { coreLimit(pid)?.soft }
    static func hardCoreLimit(_ pid: pid_t) -> String? { coreLimit(pid)?.hard }

    static func coreLimit(_ pid: pid_t) -> (soft: String, hard: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max core file size") }) else { return nil }
        let fields = line.dropFirst("Max core file size".count).split(whereSeparator: \.isWhitespace)
        return fields.count >= 2 ? (String(fields[0]), String(fields[1])) : nil
    }
}
