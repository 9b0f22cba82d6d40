import ArgumentParser
import Foundation
import KeywardAPI

/// How a declared consumer is recognised in verify telemetry (issue 15). Each flag adds one
/// entry naming one attribute; the API also takes entries that combine attributes.
struct ConsumerMatchOptions: ParsableArguments {
    @Option(name: .customLong("match-ip"), help: "Recognise it by this exact source address in verify telemetry (repeatable).")
    var ips: [String] = []
    @Option(name: .customLong("match-user-agent"), help: "… by this exact user agent (repeatable).")
    var userAgents: [String] = []
    @Option(name: .customLong("match-cert-subject"), help: "… by this exact client certificate subject (repeatable).")
    var subjects: [String] = []
    @Option(name: .customLong("match-cert-thumbprint"), help: "… by this client certificate thumbprint (repeatable).")
    var thumbprints: [String] = []

    /// nil when no flag was given (the server keeps or sets none).
    var sources: [ConsumerSourceBody]? {
        let all = ips.map { ConsumerSourceBody(ip: $0) } + userAgents.map { ConsumerSourceBody(userAgent: $0) }
            + subjects.map { ConsumerSourceBody(clientCertSubject: $0) } + thumbprints.map { ConsumerSourceBody(clientCertThumbprint: $0) }
        return all.isEmpty ? nil : all
    }

    static func describe(_ s: ConsumerSourceBody) -> String {
        [s.ip.map { "ip=\($0)" }, s.userAgent.map { "user_agent=\($0)" }, s.clientCertSubject.map { "cert_subject=\($0)" },
         s.clientCertThumbprint.map { "cert_thumbprint=\($0)" }].compactMap { $0 }.joined(separator: " ")
    }
}

extension ConsumersCommand {
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace how a consumer is recognised in verify telemetry (audited).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Consumer id (csm_…).") var id: String
        @OptionGroup var match: ConsumerMatchOptions
        @Flag(help: "Remove every match source.") var clearSources = false
        func run() async throws {
            try Arg.consumer(id)
            guard clearSources != (match.sources != nil) else {
                throw CLIExit.error("give --match-ip, --match-user-agent, --match-cert-subject or --match-cert-thumbprint, or --clear-sources")
            }
            let c = try await client.client().call("PATCH", "/v1/consumers/\(Query.path(id))", body: ConsumerUpdateRequest(sources: match.sources ?? []),
                                                   as: ConsumerResponse.self)
            try client.present(c, id: c.id) { ConsumersCommand.show(c) }
        }
    }
}
