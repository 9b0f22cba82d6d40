import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// `keyward review`: recertification, owners confirming their identities on a schedule.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Recertification: what each owner must confirm or decommission, and confirming.",
        subcommands: [List.self, Confirm.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Identities due for review (or overdue), by owner.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Also those due within this many days (0-365).") var horizonDays: Int = 14
        func run() async throws {
            guard (0...365).contains(horizonDays) else { throw CLIExit.error("--horizon-days must be from 0 to 365") }
            let page = try await client.client().call("GET", "/v1/reviews?horizon_days=\(horizonDays)", as: ListResponse<ReviewItemResponse>.self)
            try client.present(page, ids: \.identityId) {
                Output.table(["OWNER", "IDENTITY", "NAME", "KIND", "LAST CONFIRMED", "DUE", "STATUS"], page.items.map {
                    [$0.owner ?? "-", $0.identityId, $0.name, $0.kind, Output.date($0.lastConfirmedAt), Output.date($0.dueAt),
                     $0.overdueDays > 0 ? "overdue \($0.overdueDays) d" : "due"]
                })
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm an identity is still needed (needs keyward:admin; audited as identity.confirmed).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Identity id (idn_…).") var id: String
        @Option(help: "Why it is still needed.") var note: String?
        func run() async throws {
            let r = try await client.client().call("POST", "/v1/identities/\(Query.path(id))/confirm", body: IdentityConfirmRequest(note: note),
                                                   as: ReviewItemResponse.self)
            if client.json { try Output.json(r) } else { Output.line("identity \(r.identityId) confirmed; next review due \(Output.date(r.dueAt))") }
        }
    }
}
