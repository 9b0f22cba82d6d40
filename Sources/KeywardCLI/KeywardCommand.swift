import ArgumentParser
import Foundation
import KeywardCore
import KeywardServer

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
        subcommands: [ServeCommand.self, ScanCommand.self, IdentitiesCommand.self, KeysCommand.self, ImportCommand.self, ConsumersCommand.self,
                      ExposuresCommand.self, IncidentsCommand.self, WebhooksCommand.self, AuditCommand.self, AdminCommand.self, BenchCommand.self]
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
            // A one-line message that may quote a server's answer or a file name: shown safe for the terminal.
            if let m = e.message { FileHandle.standardError.write(Data("keyward: \(TerminalText.safe(m))\n".utf8)) }
            Foundation.exit(e.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(Data(((message.isEmpty ? "keyward: error" : TerminalText.safe(message, keepingNewlines: true)) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// Ends the process with `code` and an optional one-line message on stderr.
package struct CLIExit: Error {
    package var code: Int32
    package var message: String?
    package init(_ code: Int32, _ message: String? = nil) {
        self.code = code
        self.message = message
    }
    package static func error(_ message: String) -> CLIExit { CLIExit(2, message) }
}
