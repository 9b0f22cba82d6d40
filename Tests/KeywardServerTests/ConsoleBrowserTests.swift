import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// The console in a real browser: Debian's chromium, headless, driven by Selenium through
/// Debian's chromedriver (scripts/install.sh --test installs all three; nothing is downloaded).
/// `Tests/browser/console_tour.py` signs in, issues a key, reports it leaked, follows the
/// incident, revokes a second key, sees the posture change, checks every page for script,
/// injected markup, secrets and phone-width overflow, signs out and back in read-only, and
/// saves a screenshot of each page under `.build/test-output/console-tour/`.
@Suite("Console in a browser (chromium)")
struct ConsoleBrowserTests {
    @Test("the browser tour passes: sign-in, issue, leak and incident, revoke, posture change, XSS, phone width, read-only; a screenshot per page")
    func tour() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "chromium is not installed: run scripts/install.sh --test")
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromedriver is not installed: run scripts/install.sh --test")
        let root = KeywardBinary.repositoryRoot()
        let out = root.appendingPathComponent(".build/test-output/console-tour")
        try? FileManager.default.removeItem(at: out)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // The tour reports its issued key as leak intelligence, from loopback, as a local scanner would.
        try await TestServer.with(configure: { $0.acceptPlaintextFromLoopback = true }) { s in
            var env = ProcessInfo.processInfo.environment
            env["KEYWARD_TOKEN"] = s.adminKey // in the environment, not argv: never in ps
            // Chromium's profile (it holds the console's session cookie) and its singleton folder go
            // in a folder of this test's own, removed even when the tour fails.
            let tmp = try TempDirectory("keyward-browser")
            defer { tmp.remove() }
            env["TMPDIR"] = tmp.path
            let r = try await ProcessRunner.run("/usr/bin/env", ["python3", root.appendingPathComponent("Tests/browser/console_tour.py").path,
                                                                    "--url", s.baseURL, "--out", out.path], environment: env)
            #expect(r.status == 0, "the browser tour failed (screenshots in \(out.path)):\n\(r.stderr.suffix(3000))\n\(r.stdout.suffix(2000))")
            #expect(!r.stdout.contains(s.adminKey) && !r.stderr.contains(s.adminKey))
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("tour.json"))) as? [String: Any]
            #expect(summary?["result"] as? String == "pass", "\(summary?["failure"] ?? "no summary")")
            let shots = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".png") && $0 != "failure.png" }
            #expect(shots.count >= 15, "\(shots.sorted())")
            #expect(try String(contentsOf: out.appendingPathComponent("tour.json"), encoding: .utf8).contains(s.adminKey) == false)
            #expect(!s.logs.all.joined().contains("request failed"), "the server logged an internal error")
        }
    }
}
