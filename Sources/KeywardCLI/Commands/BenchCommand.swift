import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (release build): verify throughput and latency against /healthz, index memory.",
        subcommands: []
    )
}
