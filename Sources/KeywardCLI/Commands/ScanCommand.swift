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

    @Argument(help: "Files or folders (default: the current folder; with --git, the repository); - reads standard input.") var paths: [String] = []
    @Flag(help: "Scan every blob in the git history (all refs, reflogs, unreachable objects).") var git = false
    @Option(help: "With --git: only what the commits after this one wrote (an incremental scan of what came since the last one).") var since: String?
    @Flag(help: "Scan the staged versions of changed files (for a pre-commit hook).") var staged = false
    @Flag(help: "Scan standard input.") var stdin = false
    @Option(help: "text, json, sarif or csv.") var format: String = "text"
    @Option(help: "Write the report to this file instead of stdout.") var output: String?
    @Option(help: "Ignore findings listed in this baseline.") var baseline: String?
    @Option(help: "Write the findings to this baseline file (exit 0; an existing baseline keeps its salt).") var writeBaseline: String?
    @Option(help: "Repository config: allow-list and custom rules (default: .keyward.toml at the scan root).") var config: String?
    @Option(help: "Worker threads (default: the number of cores).") var threads: Int?
    @Option(name: .customLong("exclude"), help: "A gitignore-style glob to skip (repeatable).") var excludes: [String] = []
    @Flag(help: "Do not honour .gitignore files.") var noGitignore = false
    @Option(help: "HMAC key for fingerprints (default: ~/.config/keyward/fingerprint.key, generated).") var fingerprintKeyFile: String?
    @Option(help: "Post findings to this Keyward server's /v1/exposures (KEYWARD_TOKEN needs keyward:report).") var reportTo: String?
    @Option(help: "Folder for the compiled rule database cache (default: ~/.cache/keyward; 'none' disables).") var cacheDir: String?
    @Option(help: "The least confidence reported: high, medium (the default) or low (everything).") var confidence: String?
    // Archives and container images (issue 16): found by their first bytes, expanded in memory.
    @Flag(help: "Do not look inside archives (zip, jar, tar, gzip, bzip2, xz, zstd) or container images.") var noArchives = false
    @Option(help: "How many archives deep to expand archives inside archives (1 to 10; default 3).") var archiveDepth: Int?
    /// The archive bounds the flags ask for; nil with --no-archives.
    func archiveOptions() throws -> ArchiveOptions? {
        if let d = archiveDepth, !(1...10).contains(d) { throw CLIExit.error("--archive-depth must be from 1 to 10") }
        if noArchives && archiveDepth != nil { throw CLIExit.error("--archive-depth does not go with --no-archives") }
        if noArchives { return nil }
        return ArchiveOptions(maxDepth: archiveDepth ?? 3)
    }

    func run() async throws {
        guard let fmt = ReportFormat(rawValue: format) else { throw CLIExit.error("--format must be text, json, sarif or csv") }
        if let c = confidence, Confidence(rawValue: c) == nil { throw CLIExit.error("--confidence must be high, medium or low") }
        if let t = threads, !(1...256).contains(t) { throw CLIExit.error("--threads must be from 1 to 256") }
        let archives = try archiveOptions()
        // `keyward scan -` reads standard input, like `keyward keys verify -`.
        if paths.contains("-") && paths != ["-"] { throw CLIExit.error("- (standard input) takes no other paths") }
        let stdin = self.stdin || paths == ["-"]
        let modes = [git, staged, stdin].filter { $0 }.count
        guard modes <= 1 else { throw CLIExit.error("choose one of --git, --staged, --stdin (or -)") }
        if self.stdin && !paths.isEmpty { throw CLIExit.error("--stdin takes no paths") }
        if since != nil && !git { throw CLIExit.error("--since needs --git") }
        do {
            let setup = try ScanSetup.make(configFlag: config, root: configRoot(stdin: stdin), baseline: baseline, writeBaseline: writeBaseline,
                                           cacheDirectory: Settings.ruleCache(cacheDir))
            if setup.known?.version == 1, let baseline {
                Output.warn("\(baseline) is a version 1 baseline, keyed by this machine's fingerprint key: it suppresses nothing on another machine or in CI. Rewrite it: keyward scan … --baseline \(baseline) --write-baseline \(baseline)")
            }
            let key = try ScannerKey.load(path: fingerprintKeyFile, environment: Settings.processEnvironment)
            let scanner = setup.scanner
            let runner = ScanRunner(blobScanner: BlobScanner(scanner: scanner, key: key, suppressor: setup.suppressor),
                                    threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, archives: archives)
            var walkerWarnings: [String] = []
            let started = ContinuousClock.now
            let progress = ScanProgress { runner.progress() }
            let result: (findings: [Finding], stats: ScanStats, warnings: [String])
            do {
                defer { progress.stop() }
                if !(stdin || git || staged) {
                    var walker = FileWalker(excludes: excludes, honourGitignore: !noGitignore)
                    walker.detectImageLayouts = archives != nil
                    let entries = try walker.walk(paths.isEmpty ? ["."] : paths)
                    walkerWarnings = walker.warnings
                    // Largest first, so one big file does not finish last on a single thread.
                    result = try runner.run(jobs: entries.sorted { $0.size > $1.size }.map { .file($0) })
                } else {
                    result = try runner.run { runner in
                        if stdin { Self.readStandardInput(into: runner) } else { try produceGit(runner) }
                    }
                }
            }
            let elapsed = ContinuousClock.now - started
            // Below the least confidence asked for (flag, then config, then medium): not reported,
            // not counted in the exit code, not sent with --report-to, not written to a baseline.
            let least = confidence.flatMap(Confidence.init(rawValue:)) ?? setup.confidence ?? .medium
            let kept = result.findings.filter { $0.confidence >= least }
            let findings = kept.filter { $0.suppression == nil }
            let suppressed = kept.filter { $0.suppression != nil }
            let report = try Reporter.render(findings, suppressed: suppressed, format: fmt, rules: scanner.rules, stats: result.stats)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: report) else { throw CLIExit.error("cannot write \(output)") }
            } else {
                FileHandle.standardOutput.write(report)
            }
            if let reportTo { try await self.report(findings, to: reportTo, token: Settings()[.token]) }
            for w in walkerWarnings + result.warnings { Output.warn("\(w)") }
            for f in kept where f.bareAllow {
                Output.warn("\(f.path):\(f.line): keyward:allow needs a reason (keyward:allow <why>); the finding is reported")
            }
            Output.note("\(ScanSummary.line(findings: findings, suppressed: suppressed, stats: result.stats, elapsed: elapsed))")
            if let writeBaseline, let hasher = setup.suppressor.writeHasher {
                // What allow comments and the config cover stays out; baselined findings stay in.
                let recorded = kept.filter { $0.suppression == nil || $0.suppression?.kind == .baseline }
                let written = Baseline(findings: recorded, hasher: hasher)
                try written.write(writeBaseline)
                Output.note("keyward scan: wrote \(written.entries.count) baseline entries for \(recorded.count) findings to \(writeBaseline)")
                return // writing a baseline is a success: the findings are accepted
            }
            if !findings.isEmpty { throw CLIExit(1) }
        } catch let e as ScanError {
            throw CLIExit.error(e.description)
        } catch let e as RepositoryConfig.Failure {
            throw CLIExit.error(e.description)
        }
    }

    /// Where `.keyward.toml` is looked for: the one folder scanned, the repository, or the current folder.
    private func configRoot(stdin: Bool) -> String {
        if stdin { return "." }
        if git || staged { return paths.first ?? "." }
        var isDir: ObjCBool = false
        if paths.count == 1, FileManager.default.fileExists(atPath: paths[0], isDirectory: &isDir), isDir.boolValue { return paths[0] }
        return "."
    }

    private func produceGit(_ runner: ScanRunner) throws {
        let source = try GitSource(repository: paths.first ?? ".")
        if staged {
            try source.forEachStagedFile { runner.submit(.blob($0, $1)) }
        } else {
            let since = try self.since.map { try source.commit($0) }
            let attribution = try source.attribution(since: since)
            try source.forEachBlob(attribution: attribution, onlyAttributed: since != nil) { runner.submit(.blob($0, $1)) }
        }
    }

    /// Standard input, in pieces of at most 256 MiB so memory stays bounded.
    private static func readStandardInput(into runner: ScanRunner) {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            data += buf[0..<n]
            if data.count > 256 << 20 {
                runner.submit(.blob(BlobOrigin(path: "(stdin)"), data))
                data.removeAll(keepingCapacity: true)
            }
        }
        runner.submit(.blob(BlobOrigin(path: "(stdin)"), data))
    }
}
