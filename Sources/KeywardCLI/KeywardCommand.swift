import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// `keyward`: server, scanner and command-line client in one binary.
package struct KeywardCommand: AsyncParsableCommand {
    // Computed, not stored: `version` carries the revision `runMain` is given.
    package static var configuration: CommandConfiguration { CommandConfiguration(
        commandName: "keyward",
        abstract: "Govern the credentials machines use: inventory, issuance, verification, rotation, audit.",
        discussion: """
            Client commands read KEYWARD_ADDR (default http://127.0.0.1:8080) and KEYWARD_TOKEN (a management key).
            Exit codes: 0 ok, 1 check failed (keys verify, audit verify), 2 error.
            """,
        version: BuildInfo.line,
        subcommands: [ServeCommand.self, ScanCommand.self, IdentitiesCommand.self, KeysCommand.self, ClientsCommand.self, OAuthCommand.self, ImportCommand.self, CredentialsCommand.self, ConsumersCommand.self,
                      ExposuresCommand.self, IncidentsCommand.self, DetectionsCommand.self, PostureCommand.self, ReviewCommand.self, WebhooksCommand.self, AuditCommand.self, AdminCommand.self, BenchCommand.self]
    ) }

    package init() {}

    /// Parses and runs, mapping every failure to exit 2 with a one-line message
    /// (ArgumentParser's usage error 64 becomes 2 as well). `revision`: the git revision the
    /// executable was built from (`keyward --version`, `/metrics`).
    package static func runMain(revision: String = "unknown") async -> Never {
        BuildInfo.revision = revision
        CrashReports.redactOrRestart()
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let e as CLIExit {
            if jsonErrors {
                writeJSONError(message: e.message ?? "failed", exit: e.code, problem: e.problem)
            } else if let m = e.message {
                // A one-line message that may quote a server's answer or a file name: shown safe for the terminal.
                FileHandle.standardError.write(Data("keyward: \(TerminalText.safe(m))\n".utf8))
            }
            Foundation.exit(e.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = fullMessage(for: error)
            if jsonErrors {
                writeJSONError(message: message.isEmpty ? "error" : message, exit: 2, problem: nil)
                Foundation.exit(2)
            }
            FileHandle.standardError.write(Data(((message.isEmpty ? "keyward: error" : TerminalText.safe(message, keepingNewlines: true)) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

extension KeywardCommand {
    /// `--json` anywhere before `--` asks for errors as JSON too.
    static var jsonErrors: Bool { CommandLine.arguments.dropFirst().prefix { $0 != "--" }.contains("--json") }

    /// `{"error": {"message", "exit", and the server's problem when there was one}}` on stderr, one line.
    static func writeJSONError(message: String, exit: Int32, problem: Problem?) {
        struct Body: Encodable { var error: Detail }
        struct Detail: Encodable { var message: String; var exit: Int32; var problem: Problem? }
        let data = (try? WireCoding.encoder().encode(Body(error: Detail(message: message, exit: exit, problem: problem)))) ?? Data()
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}

/// Ends the process with `code` and an optional one-line message on stderr.
package struct CLIExit: Error {
    package var code: Int32
    package var message: String?
    /// The server's problem+json, when the failure was its answer.
    package var problem: Problem?
    package init(_ code: Int32, _ message: String? = nil, problem: Problem? = nil) {
        self.code = code
        self.message = message
        self.problem = problem
    }
    package static func error(_ message: String) -> CLIExit { CLIExit(2, message) }
}
