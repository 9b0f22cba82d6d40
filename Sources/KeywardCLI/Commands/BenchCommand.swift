import ArgumentParser
import Foundation
import KeywardCore
import KeywardStore
import Logging

/// `keyward bench …`: benchmarks of the real paths, release build, figures as ratios measured
/// in one run (never timed unit tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (run a release build): verify against /healthz, index memory, the detectors against a labelled replay, the token endpoint against its crypto bound.",
        subcommands: [BenchVerifyCommand.self, BenchMemoryCommand.self, BenchDetectCommand.self, BenchTimingCommand.self, BenchScanCommand.self, BenchContainCommand.self, BenchTokenCommand.self, BenchAuthzCommand.self]
    )
}

/// Reads this process's resident set size from /proc (Linux).
enum ProcStatus {
    static func rssMiB(pid: Int32? = nil) -> Double {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(whereSeparator: \.isWhitespace)[1]) else { return 0 }
        return kb / 1024
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
