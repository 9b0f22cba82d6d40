import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// Options shared by client commands. Address and token come from the environment, as
/// Vault's CLI reads VAULT_ADDR/VAULT_TOKEN; `--addr` overrides the address.
package struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "Server address (default $KEYWARD_ADDR or http://127.0.0.1:8080).")
    var addr: String?

    @Flag(name: .long, help: "Print the server's JSON instead of a table (errors too: a JSON object on stderr).")
    var json = false

    @Flag(name: [.customShort("q"), .long], help: "Print only ids (one per line), for scripts; a command that issues a key prints its id and the key on one line.")
    var quiet = false

    package init() {}

    func client() throws -> APIClient {
        let settings = Settings(flags: [.addr: addr])
        let address = settings[.addr] ?? ""
        guard let url = URL(string: address), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw CLIExit.error("KEYWARD_ADDR must be an http(s):// URL")
        }
        return APIClient(base: address.hasSuffix("/") ? String(address.dropLast()) : address, token: settings[.token])
    }

    /// Prints one object: its JSON, its id alone (`--quiet`), or the human view.
    func present<T: Encodable>(_ value: T, id: String, human: () -> Void) throws {
        if json { try Output.json(value) } else if quiet { print(TerminalText.safe(id)) } else { human() }
    }

    /// Prints a page: its JSON, its ids one per line (`--quiet`), or the table and the next-page hint.
    func present<T: Encodable>(_ page: ListResponse<T>, ids: (T) -> String, human: () -> Void) throws {
        if json { try Output.json(page); return }
        if quiet { for item in page.items { print(TerminalText.safe(ids(item))) }; return }
        human()
        if let next = page.nextCursor { Output.line("next page: --cursor \(next)") }
    }

    /// Deletes `/v1/<collection>/<id>` after asking `question` on a terminal (unless `yes`), then
    /// says so (nothing under `--quiet`).
    func delete(_ collection: String, id: String, question: String, yes: Bool) async throws {
        try Confirm.ask(question, yes: yes)
        try await client().send(checked: "DELETE", "/v1/\(collection)/\(Query.path(id))")
        if !quiet { Output.line("deleted \(id)") }
    }
}
