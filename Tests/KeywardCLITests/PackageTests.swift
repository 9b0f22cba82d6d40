import Foundation
import KeywardTesting
import Testing

/// The tarball scripts/package.sh made; scripts/test.sh builds it once and passes its path.
private let packagePath = ProcessInfo.processInfo.environment["KEYWARD_PACKAGE"]

// Issue 11, packaging: a binary a user can copy to a Debian machine without the Swift toolchain.
@Suite("Binary package", .serialized,
       .enabled(if: packagePath != nil, "KEYWARD_PACKAGE is unset: run through scripts/test.sh, which builds the package (scripts/package.sh --debug)"))
struct PackageTests {
    /// An environment with nothing from the toolchain: no PATH entry, no library path.
    static let clean = ["PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "", "HOME": NSTemporaryDirectory(), "LANG": "C.UTF-8"]

    /// Unpacks the tarball into `dir`; returns the package folder.
    static func unpack(into dir: TempDirectory) async throws -> String {
        let tar = try await ProcessRunner.run("/usr/bin/tar", ["-xzf", try #require(packagePath), "-C", dir.path])
        #expect(tar.status == 0, "\(tar.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("keyward-") })
        return dir.file(name)
    }

    @Test("the tarball holds the binary, its resources, the unit, completions for bash, zsh and fish, LICENSE and INSTALL")
    func contents() async throws {
        let dir = try TempDirectory("keyward-package")
        defer { dir.remove() }
        let pkg = try await Self.unpack(into: dir)
        for file in ["keyward", "keyward.service", "LICENSE", "INSTALL", "completions/keyward.bash", "completions/_keyward", "completions/keyward.fish",
                     "keyward_KeywardScanner.resources/rules", "keyward_KeywardServer.resources/openapi.yaml"] {
            #expect(FileManager.default.fileExists(atPath: pkg + "/" + file), "\(file)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: pkg + "/keyward"))
        let bash = try String(contentsOfFile: pkg + "/completions/keyward.bash", encoding: .utf8)
        #expect(bash.contains("serve") && bash.contains("--data-dir"))
        #expect(try String(contentsOfFile: pkg + "/LICENSE", encoding: .utf8).contains("Apache License"))
    }

    @Test("the binary links no Swift library from the toolchain and, with the toolchain hidden, prints its version, serves /healthz and reports a crash")
    func runsWithoutToolchain() async throws {
        let dir = try TempDirectory("keyward-package")
        defer { dir.remove() }
        let bin = try await Self.unpack(into: dir) + "/keyward"
        let ldd = try await ProcessRunner.run("/usr/bin/ldd", [bin])
        #expect(ldd.status == 0)
        let swiftLibs = ldd.stdout.split(separator: "\n").filter { $0.contains("libswift") || $0.contains("Foundation") || $0.contains("libdispatch") }
        #expect(swiftLibs.isEmpty, "\(swiftLibs)")
        #expect(ldd.stdout.contains("libhs.so"), "Hyperscan comes from Debian's libhyperscan5")
        #expect(ldd.stdout.contains("libarchive.so"), "archives are read by Debian's libarchive13")

        let version = try await ProcessRunner.run("/usr/bin/env", ["-i"] + Self.clean.map { "\($0)=\($1)" } + [bin, "--version"])
        #expect(version.status == 0, "\(version.stderr)")
        let line = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("keyward 0."), "\(line)")
        let git = try await ProcessRunner.run("/usr/bin/git", ["-C", URL(fileURLWithPath: #filePath).deletingLastPathComponent().path,
                                                              "rev-parse", "--short=7", "HEAD"])
        if git.status == 0 {
            let head = git.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(line.contains("(\(head))") || line.contains("(\(head)-dirty)"), "\(line) names the revision \(head)")
        }

        var env = Self.clean
        env["KEYWARD_RULE_CACHE_DIR"] = KeywardBinary.ruleCache
        await KeywardBinary.warmRuleCache()
        try FileManager.default.createDirectory(atPath: dir.file("logs"), withIntermediateDirectories: true)
        let p = try BackgroundProcess("/usr/bin/env", ["-i"] + env.map { "\($0)=\($1)" } + [bin, "serve", "--data-dir", dir.file("data"), "--port", "0"],
                                      environment: env, logDirectory: dir.file("logs"))
        defer { p.stop() }
        let out = try await p.waitForOutput { $0.contains("listening on http") }
        #expect(out.contains("kw_live_"), "a first start prints the admin key")
        let line2 = try #require(out.split(separator: "\n").first { $0.contains("listening on http") })
        let url = String(line2[line2.range(of: "http")!.lowerBound...]).trimmingCharacters(in: .whitespaces)
        let health = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", url + "/healthz"])
        #expect(health.stdout == "200", "\(health.stderr)")
        let text = try await ProcessRunner.run("/usr/bin/curl", ["-fsS", url + "/metrics"]).stdout
        let revision = line.split(separator: "(").last.map { String($0.dropLast()) } ?? "?"
        #expect(text.contains("revision=\"\(revision)\""), "keyward_build_info names the revision --version printed")
        #expect(text.contains("\nkeyward_log_lines_dropped_total 0\n"), "serve's log writer reports what it dropped")

        // Crash reports work without the toolchain: the packaged backtracer reports, redacted as in the tree.
        kill(p.pid, SIGSEGV)
        // Bounded poll: the report is written by the killed process's backtracer.
        _ = await eventually(timeout: .seconds(60)) { p.stderr.contains("Backtrace took") || p.exitStatus(wait: false) != nil }
        _ = p.stop(SIGKILL)
        #expect(p.stderr.contains("Program crashed"), "the backtracer ran")
        #expect(!p.stderr.contains("Registers:"))
        #expect(!p.stderr.contains("swift runtime:"), "no runtime warning (a backtracer not found)")
        #expect(!version.stderr.contains("swift runtime:"))
    }

    @Test("systemd-analyze verify accepts the unit without a warning",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "systemd-analyze is not installed (Debian package systemd)"))
    func unitVerifies() async throws {
        let dir = try TempDirectory("keyward-package")
        defer { dir.remove() }
        let pkg = try await Self.unpack(into: dir)
        let unit = try String(contentsOfFile: pkg + "/keyward.service", encoding: .utf8)
        for directive in ["DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=keyward", "StateDirectoryMode=0700", "NoNewPrivileges=yes",
                          "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=", "ExecStart=/usr/local/bin/keyward serve"] {
            #expect(unit.contains(directive), "\(directive)")
        }
        // The installed path does not exist here: point ExecStart at the unpacked binary.
        let copy = dir.file("keyward.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/keyward", with: pkg + "/keyward").write(toFile: copy, atomically: true, encoding: .utf8)
        let verify = try await ProcessRunner.run("/usr/bin/systemd-analyze", ["verify", copy])
        #expect(verify.status == 0)
        #expect(verify.stderr.trimmingCharacters(in: .whitespacesAndNewlines) == "", "\(verify.stderr)")
    }
}
