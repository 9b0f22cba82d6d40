import ArgumentParser
import Foundation

/// Options shared by client commands. Address and token come from the environment, as
/// Vault's CLI reads VAULT_ADDR/VAULT_TOKEN; `--addr` overrides the address.
package struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "Server address (default $KEYWARD_ADDR or http://127.0.0.1:8080).")
    var addr: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    package init() {}

    func client() throws -> APIClient {
        let env = ProcessInfo.processInfo.environment
        let address = addr ?? env["KEYWARD_ADDR"] ?? "http://127.0.0.1:8080"
        guard let url = URL(string: address), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw CLIExit.error("KEYWARD_ADDR must be an http(s):// URL")
        }
        return APIClient(base: address.hasSuffix("/") ? String(address.dropLast()) : address, token: env["KEYWARD_TOKEN"])
    }
}
