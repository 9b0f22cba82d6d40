import ArgumentParser
import Foundation
import KeywardAPI
import KeywardScanner

/// `keyward scan`: files, git history, staged changes, stdin and logs; offline, no database.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find leaked secrets in files, git history (--git), staged changes (--staged) or stdin.",
        discussion: "Exit 0: nothing found; 1: findings; 2: error. Findings carry a redacted preview and an HMAC fingerprint, never the secret."
    )

    @Argument(help: "Files or folders (default: the current folder; with --git, the repository).") var paths: [String] = []
    @Flag(help: "Scan every blob in the git history (all refs, reflogs, unreachable objects).") var git = false
    @Flag(help: "Scan the staged versions of changed files (for a pre-commit hook).") var staged = false
    @Flag(help: "Scan standard input.") var stdin = false
    @Option(help: "text, json, sarif or csv.") var format: String = "text"
    @Option(help: "Write the report to this file instead of stdout.") var output: String?
    @Option(help: "Ignore findings listed in this baseline.") var baseline: String?
    @Option(help: "Write the findings to this baseline file.") var writeBaseline: String?
    @Option(help: "Worker threads (default: the number of cores).") var threads: Int?
    @Option(name: .customLong("exclude"), help: "A gitignore-style glob to skip (repeatable).") var excludes: [String] = []
    @Flag(help: "Do not honour .gitignore files.") var noGitignore = false
    @Option(help: "HMAC key for fingerprints (default: ~/.config/keyward/fingerprint.key, generated).") var fingerprintKeyFile: String?
    @Option(help: "Post findings to this Keyward server's /v1/exposures (KEYWARD_TOKEN needs keyward:report).") var reportTo: String?
    @Option(help: "Folder for the compiled rule database cache (default: ~/.cache/keyward; 'none' disables).") var cacheDir: String?

    func run() async throws {
        guard let fmt = ReportFormat(rawValue: format) else { throw CLIExit.error("--format must be text, json, sarif or csv") }
        if let t = threads, !(1...256).contains(t) { throw CLIExit.error("--threads must be from 1 to 256") }
        let modes = [git, staged, stdin].filter { $0 }.count
        guard modes <= 1 else { throw CLIExit.error("choose one of --git, --staged, --stdin") }
        if stdin && !paths.isEmpty { throw CLIExit.error("--stdin takes no paths") }
        let env = ProcessInfo.processInfo.environment
        do {
            let known = try baseline.map(Baseline.load)
            let key = try ScannerKey.load(path: fingerprintKeyFile, environment: env)
            let scanner = try SecretScanner(ruleSet: RuleSet.builtIn(), cacheDirectory: Self.cacheDirectory(cacheDir, env: env))
            let runner = ScanRunner(blobScanner: BlobScanner(scanner: scanner, key: key), threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            var walkerWarnings: [String] = []
            let started = ContinuousClock.now
            let result: (findings: [Finding], stats: ScanStats, warnings: [String])
            if !(stdin || git || staged) {
                var walker = FileWalker(excludes: excludes, honourGitignore: !noGitignore)
                let entries = try walker.walk(paths.isEmpty ? ["."] : paths)
                walkerWarnings = walker.warnings
                // Largest first, so one big file does not finish last on a single thread.
                result = try runner.run(jobs: entries.sorted { $0.size > $1.size }.map { .file($0) })
            } else {
                result = try runner.run { runner in
                if stdin {
                    var data = [UInt8]()
                    var buf = [UInt8](repeating: 0, count: 1 << 16)
                    while true {
                        let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                        if n <= 0 { break }
                        data += buf[0..<n]
                        if data.count > 256 << 20 { // bounded: larger input is scanned in pieces
                            runner.submit(.blob(BlobOrigin(path: "(stdin)"), data))
                            data.removeAll(keepingCapacity: true)
                        }
                    }
                    runner.submit(.blob(BlobOrigin(path: "(stdin)"), data))
                } else {
                    let source = try GitSource(repository: paths.first ?? ".")
                    if staged {
                        try source.forEachStagedFile { runner.submit(.blob($0, $1)) }
                    } else {
                        let attribution = try source.attribution()
                        try source.forEachBlob(attribution: attribution) { runner.submit(.blob($0, $1)) }
                    }
                }
                }
            }
            let elapsed = ContinuousClock.now - started
            var findings = result.findings
            if let known { findings = known.filter(findings) }
            if let writeBaseline { try Baseline(findings: result.findings).write(writeBaseline) }
            let report = try Reporter.render(findings, format: fmt, rules: scanner.rules, stats: result.stats)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: report) else { throw CLIExit.error("cannot write \(output)") }
            } else {
                FileHandle.standardOutput.write(report)
            }
            if let reportTo { try await self.report(findings, to: reportTo, token: env["KEYWARD_TOKEN"]) }
            for w in walkerWarnings + result.warnings { Output.warn("\(w)") }
            let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let mb = Double(result.stats.bytes) / 1e6
            FileHandle.standardError.write(Data(String(format: "keyward scan: %d findings in %d files (%.1f MB, %d binary skipped) in %.2fs (%.0f MB/s)\n",
                                                       findings.count, result.stats.files, mb, result.stats.skippedBinary, secs, secs > 0 ? mb / secs : 0).utf8))
            if !findings.isEmpty { throw CLIExit(1) }
        } catch let e as ScanError {
            throw CLIExit.error(e.description)
        }
    }

    /// Posts findings in batches of at most 1,000: the SHA-256 of high-entropy secrets,
    /// only rule and location for low-entropy ones (DESIGN.md), never a plaintext.
    func report(_ findings: [Finding], to url: String, token: String?) async throws {
        guard let u = URL(string: url), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
            throw CLIExit.error("--report-to must be an http(s):// URL of a Keyward server")
        }
        guard let token, !token.isEmpty else { throw CLIExit.error("--report-to needs KEYWARD_TOKEN (a key with keyward:report)") }
        let client = APIClient(base: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token)
        var accepted = 0, duplicates = 0
        var contained: [ExposureResult] = []
        let dates = ISO8601DateFormatter()
        for start in stride(from: 0, to: findings.count, by: 1_000) {
            let items = findings[start..<min(start + 1_000, findings.count)].map { f in
                // For history findings, the first commit's date is when the secret was first exposed:
                // the server's incident hunt starts there.
                ExposureItem(ruleId: f.ruleId, provider: f.provider, sha256: f.highEntropy ? f.digest : nil,
                             possessionProof: f.highEntropy ? f.possessionProof : nil, fingerprint: nil,
                             path: f.path, line: f.line, commit: f.commit, firstSeen: f.date.flatMap { dates.date(from: $0) })
            }
            let receipt = try await client.call("POST", "/v1/exposures", body: ExposureReport(source: .scanner, items: items), as: ExposureReceipt.self)
            accepted += receipt.accepted
            duplicates += receipt.duplicates
            contained += (receipt.results ?? []).filter { $0.action != nil }
        }
        Output.note("keyward scan: reported \(findings.count) findings to \(url) (\(accepted) new, \(duplicates) already known)")
        for r in contained {
            Output.note("keyward scan: a \(r.classification) credential was matched; action \(r.action ?? "-"), incident \(r.incidentId ?? "-")")
        }
    }

    /// The compiled rule database cache: the flag, else $XDG_CACHE_HOME/keyward or ~/.cache/keyward; `none` disables it.
    static func cacheDirectory(_ flag: String?, env: [String: String]) -> String? {
        flag == "none" ? nil : (flag ?? (env["XDG_CACHE_HOME"] ?? ((env["HOME"] ?? NSTemporaryDirectory()) + "/.cache")) + "/keyward")
    }
}
