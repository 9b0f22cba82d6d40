import Foundation
import KeywardScanner

/// The built `keyward` executable (tests run the real binary, built by `swift build`).
package enum KeywardBinary {
    package static func path() -> String {
        if let p = ProcessInfo.processInfo.environment["KEYWARD_BIN"] { return p }
        return repositoryRoot().appendingPathComponent(".build/debug/keyward").path
    }

    /// The checkout this file is in (the folder holding Package.swift).
    package static func repositoryRoot(filePath: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }

    /// Runs `keyward args…` to completion.
    @discardableResult
    package static func run(_ args: [String], env: [String: String] = [:], stdin: String? = nil) async throws -> ProcessResult {
        await warmRuleCache()
        return try await ProcessRunner.run(path(), args, environment: environment(with: env), stdin: stdin)
    }

    /// Runs `keyward args…` to completion with its own peak RSS in `maxRSSKiB`
    /// (`ProcessRunner.runMeasuringPeakRSS` says why not straight from this process).
    package static func runMeasuringPeakRSS(_ args: [String], env: [String: String] = [:]) async throws -> ProcessResult {
        await warmRuleCache()
        return try await ProcessRunner.runMeasuringPeakRSS(path(), args, environment: environment(with: env))
    }

    /// This process's environment with `env` on top.
    private static func environment(with env: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(env) { $1 }
    }

    /// `keyward serve` on a free port in `dataDirectory`: returns the process, base URL and
    /// (on a new store) the admin key it printed once. `launcher` goes in front of the command
    /// (e.g. `taskset -c 0`, a shell that sets limits and `exec`s it); an `env` value of nil
    /// removes that variable.
    package static func serve(dataDirectory: String, extraArgs: [String] = [], env: [String: String?] = [:],
                              launcher: [String] = [], binary: String? = nil) async throws -> (BackgroundProcess, String, String?) {
        await warmRuleCache()
        var environment = ProcessInfo.processInfo.environment
        environment["KEYWARD_RULE_CACHE_DIR"] = ruleCache
        for (k, v) in env { environment[k] = v }
        try FileManager.default.createDirectory(atPath: dataDirectory + "-logs", withIntermediateDirectories: true)
        let command = launcher + [binary ?? path(), "serve", "--data-dir", dataDirectory, "--port", "0"] + extraArgs
        let p = try BackgroundProcess(command[0], Array(command.dropFirst()), environment: environment, logDirectory: dataDirectory + "-logs")
        let out = try await p.waitForOutput { $0.contains("listening on http") }
        let line = out.split(separator: "\n").first { $0.contains("listening on http") }!
        let url = String(line[line.range(of: "http")!.lowerBound...]).trimmingCharacters(in: .whitespaces)
        let key = out.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("kw_live_") }.map(String.init)
        return (p, url, key)
    }

    /// Fills the shared rule cache once, in this process, before any child uses it: twenty
    /// servers or scans each compiling a cold cache at once on two cores would take minutes
    /// (and a scan's memory bound assumes a warm cache).
    package static func warmRuleCache() async {
        await CredentialShape.prepare(cacheDirectory: ruleCache)
    }

    /// The compiled rule cache the test suite shares (a first compile takes about 10 s).
    package static let ruleCache = NSTemporaryDirectory() + "keyward-test-rule-cache"

    /// `keyward scan`'s environment for a test: its fingerprint key and caches under `dir`, never
    /// in the real home folder.
    package static func scanEnvironment(_ dir: TempDirectory) -> [String: String] {
        ["XDG_CONFIG_HOME": dir.file("config"), "XDG_CACHE_HOME": dir.file("cache-unused")]
    }

    /// The environment of a running process (`/proc/<pid>/environ`), one `NAME=value` each.
    package static func environment(of pid: pid_t) throws -> [String] {
        try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
