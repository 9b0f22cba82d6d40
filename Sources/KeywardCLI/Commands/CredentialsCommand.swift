import ArgumentParser
import Foundation
import KeywardAPI

/// `keyward credentials list|show|delete`: the imported third-party credentials (`keyward
/// import` brings them in). Never a secret: provider prefix and fingerprint only.
struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "credentials", abstract: "Imported third-party credentials: list, show, delete.",
                                                    subcommands: [List.self, Show.self, Delete.self])

    static func show(_ c: CredentialResponse) {
        Output.fields([("id", c.id), ("name", c.name), ("identity", c.identityId), ("provider", c.provider), ("rule", c.ruleId ?? "-"),
                       ("status", c.status), ("environment", c.environment), ("prefix", c.prefix.isEmpty ? "-" : c.prefix + "…"),
                       ("fingerprint", c.fingerprint), ("digest kept", c.hasDigest ? "yes (leak reports by SHA-256 match it)" : "no"),
                       ("origin", c.origin), ("created", Output.date(c.createdAt)), ("revocation", c.revocation)])
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List imported credentials.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only those of this identity (idn_…).") var identity: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?
        func run() async throws {
            if let identity { try Arg.identity(identity) }
            var q = [("limit", String(limit))]
            if let identity { q.append(("identity_id", identity)) }
            if let cursor { q.append(("cursor", cursor)) }
            let page = try await client.client().call("GET", "/v1/credentials" + Query.string(q), as: ListResponse<CredentialResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "NAME", "PROVIDER", "STATUS", "IDENTITY", "PREFIX"], page.items.map {
                    [$0.id, $0.name, $0.provider, $0.status, $0.identityId, $0.prefix.isEmpty ? "-" : $0.prefix + "…"]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one imported credential (never its value).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Credential id (crd_…).") var id: String
        func run() async throws {
            try Arg.credential(id)
            let c = try await client.client().call("GET", "/v1/credentials/\(Query.path(id))", as: CredentialResponse.self)
            try client.present(c, id: c.id) { CredentialsCommand.show(c) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an imported credential from the inventory (after revoking it at its provider).",
            discussion: "Refused while an incident about it is not resolved. A later leak of the same value then matches nothing.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Credential id (crd_…).") var id: String
        @Flag(help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            try Arg.credential(id)
            try await client.delete("credentials", id: id, question: "Delete credential \(id) from the inventory?", yes: yes)
        }
    }
}
