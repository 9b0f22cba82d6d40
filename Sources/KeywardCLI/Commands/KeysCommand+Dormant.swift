import ArgumentParser
import Foundation
import KeywardAPI

extension KeysCommand {
    struct Dormant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Active keys no valid verify used for N days (never used: counted from creation), with their owners.",
            discussion: "Keyward's own management keys are left out: their use is not recorded. Expired keys are left out: they no longer work.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Unused for at least this many days (1-3650).") var days: Int = 90
        @Option(help: "Only keys of this identity (idn_…).") var identity: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?

        func run() async throws {
            guard (1...3650).contains(days) else { throw CLIExit.error("--days must be from 1 to 3650") }
            if let identity { try Arg.identity(identity) }
            var q = [("days", String(days)), ("limit", String(limit))]
            if let identity { q.append(("identity_id", identity)) }
            if let cursor { q.append(("cursor", cursor)) }
            let page = try await client.client().call("GET", "/v1/keys/dormant" + Query.string(q), as: ListResponse<DormantKeyResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "PREFIX", "IDENTITY", "TECHNICAL OWNER", "LAST USED", "IDLE DAYS", "EXPIRES"], page.items.map {
                    [$0.id, $0.prefix, $0.identityName, $0.technicalOwner ?? "-", $0.lastUsedAt.map { Output.date($0) } ?? "never", String($0.idleDays),
                     Output.date($0.expiresAt)]
                })
            }
        }
    }
}
