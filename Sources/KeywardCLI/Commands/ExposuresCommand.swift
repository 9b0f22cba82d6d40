import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// `keyward exposures report`: leak intelligence by hand (a paste, a partner's mail…).
struct ExposuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exposures", abstract: "Report leaked secrets to the server.", subcommands: [Report.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report one leaked secret: it is matched to its owner and contained by policy.",
            discussion: "Give the secret's --sha256, or --secret-stdin to send the plaintext (only to a server over TLS or on this machine; it is fingerprinted on arrival and dropped). KEYWARD_TOKEN needs keyward:report.")
        @OptionGroup var client: ClientOptions
        @Option(help: "scanner, paste, darknet, partner or internal.") var source: String = "internal"
        @Option(help: "SHA-256 of the secret (64 hex).") var sha256: String?
        @Flag(help: "Read the plaintext secret from standard input.") var secretStdin = false
        @Option(help: "Rule id, e.g. keyward.api-key, aws.access-key.") var rule: String = "reported"
        @Option(help: "Where it was found (URL).") var url: String?
        @Option(help: "Where it was found (file path).") var path: String?
        @Option(help: "When it was first seen (RFC 3339).") var firstSeen: String?

        func run() async throws {
            guard let src = ExposureReport.Source(rawValue: source) else {
                throw CLIExit.error("--source must be one of \(ExposureReport.Source.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (sha256 != nil) != secretStdin else { throw CLIExit.error("give --sha256 or --secret-stdin (exactly one)") }
            var secret: String?
            if secretStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIExit.error("no secret on standard input") }
                secret = line
            }
            var seen: Date?
            if let firstSeen {
                guard let d = ISO8601DateFormatter().date(from: firstSeen) else { throw CLIExit.error("--first-seen must be an RFC 3339 time like 2026-11-01T12:00:00Z") }
                seen = d
            }
            let api = try client.client()
            var item = ExposureItem(ruleId: rule, sha256: sha256?.lowercased(), path: path, url: url, firstSeen: seen, secret: secret)
            if let secret, !api.base.lowercased().hasPrefix("https://") {
                // No plaintext over plain HTTP: its digest and a possession proof instead. The server
                // then matches keys and high-entropy imports; a password needs TLS to be matched.
                let bytes = Array(secret.utf8)
                item.secret = nil
                item.sha256 = SecretDigest(hashing: bytes).hex
                item.possessionProof = PossessionProof.proof(of: bytes).hex
            }
            let receipt = try await api.call("POST", "/v1/exposures", body: ExposureReport(source: src, items: [item]), as: ExposureReceipt.self)
            if client.json { try Output.json(receipt); return }
            for r in receipt.results ?? [] {
                let action = r.action.map { ", action \($0)" } ?? "", incident = r.incidentId.map { ", incident \($0)" } ?? ""
                Output.line("exposure \(r.exposureId): \(r.classification)\(r.duplicate ? " (already reported)" : "")\(action)\(incident)")
            }
        }
    }
}
