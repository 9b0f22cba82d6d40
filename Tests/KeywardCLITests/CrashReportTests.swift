import Foundation
import KeywardTesting
import Testing

/// case 58 of docs/security-cases.md, the crash part: Swift's crash reporter would print each register and the
/// 16 bytes it points at; `keyward` starts itself with SWIFT_BACKTRACE set so that a crash
/// report holds a backtrace and nothing from memory.
@Suite("Crash reports", .serialized)
struct CrashReportTests {
    @Test("a crashed server's report has its backtrace but no registers, memory or key")
    func redacted() async throws {
        let dir = try TempDirectory("keyward-crash")
        defer { dir.remove() }
        let (p, url, admin) = try await Self.serve(dir, backtrace: nil)
        let key = try #require(admin)

        // Restarted with the settings: same pid, the variable in its environment.
        #expect(try KeywardBinary.environment(of: p.pid).contains("SWIFT_BACKTRACE=enable=yes,registers=none,images=none,sanitize=yes"))
        // Started with core dumps allowed, it turned them off: a core file would hold all of memory.
        if Self.canRaiseCoreLimit { #expect(Self.softCoreLimit(p.pid) == "0") }

        // The key has just been through the server (bearer and body) when it crashes.
        let verify = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-X", "POST", url + "/v1/keys/verify", "-H", "Authorization: Bearer \(key)",
                                                             "-H", "Content-Type: application/json", "-d", "{\"key\":\"\(key)\"}"])
        #expect(verify.stdout.contains("\"valid\":true"))
        // A signal sent from outside is reported like a fault (the handler then returns, so the
        // server is stopped afterwards).
        kill(p.pid, SIGSEGV)
        let backtracer = ["/opt/swift/usr/libexec/swift/linux/swift-backtrace", "/usr/libexec/swift/linux/swift-backtrace"]
            .contains { FileManager.default.fileExists(atPath: $0) }
        // The report is whole once the backtracer says how long it took; without a backtracer
        // the runtime ends the process. Bounded poll: the report is written by another process,
        // which symbolicates a debug binary of several hundred MB; with the whole suite running
        // on 2 cores that took over a minute in CI, so the bound is generous.
        _ = await eventually(timeout: .seconds(300)) { p.stderr.contains("Backtrace took") || p.exitStatus(wait: false) != nil }
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
        let (p, _, _) = try await Self.serve(dir, backtrace: "enable=no")
        defer { _ = p.stop() }
        #expect(try KeywardBinary.environment(of: p.pid).contains("SWIFT_BACKTRACE=enable=no"))
        if Self.canRaiseCoreLimit { #expect(Self.softCoreLimit(p.pid) == "unlimited") }
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = nil
        #expect(try await ProcessRunner.run(KeywardBinary.path(), ["frobnicate"], environment: env).status == 2)
        #expect(try await ProcessRunner.run(KeywardBinary.path(), ["--help"], environment: env).status == 0)
    }

    /// `keyward serve` started through a shell that first allows core dumps (soft limit
    /// unlimited), with SWIFT_BACKTRACE set to `backtrace` or removed.
    static func serve(_ dir: TempDirectory, backtrace: String?) async throws -> (BackgroundProcess, String, String?) {
        try await KeywardBinary.serve(dataDirectory: dir.file("data"), env: ["SWIFT_BACKTRACE": backtrace],
                                      launcher: ["/bin/sh", "-c", "ulimit -S -c unlimited 2>/dev/null; exec \"$0\" \"$@\""])
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
