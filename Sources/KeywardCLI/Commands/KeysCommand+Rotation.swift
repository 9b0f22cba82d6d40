import ArgumentParser
import Foundation
import KeywardAPI

extension KeysCommand {
    struct Rotation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a key's latest rotation: who has moved to the new version, who still presents the old one.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Key id (key_…).") var id: String
        func run() async throws {
            try Arg.key(id)
            let r = try await client.client().call("GET", "/v1/keys/\(Query.path(id))/rotation", as: KeyRotationResponse.self)
            try client.present(r, id: r.keyId) { Self.show(r) }
        }

        static func show(_ r: KeyRotationResponse) {
            let state = r.state == "open" ? "open" : "closed (\(r.closeReason ?? "-")) at \(Output.date(r.closedAt))"
            Output.fields([
                ("key", r.keyId), ("versions", "\(r.fromVersion) → \(r.toVersion)"), ("rotated", Output.date(r.rotatedAt)), ("state", state),
                ("grace until", Output.date(r.graceUntil)), ("hard maximum", Output.date(r.hardMaximumAt)),
                ("quiet period", "\(r.quietPeriodSeconds)s"), ("extensions", String(r.extensions)),
            ] + (r.state == "open" ? [("closes if quiet", r.closesIfQuietAt.map { Output.date($0) } ?? "no (a declared consumer has not switched)")] : []))
            guard !r.consumers.isEmpty else { return Output.line("no consumers declared or seen") }
            print("")
            Output.table(["CONSUMER", "KIND", "STATUS", "LAST OLD USE", "LAST NEW USE", "OLD", "NEW"], r.consumers.map {
                [$0.kind == "declared" ? "\($0.name) (\($0.id))" : $0.name, $0.kind, $0.status, Output.date($0.lastOldUse), Output.date($0.lastNewUse),
                 String($0.oldUses), String($0.newUses)]
            })
        }
    }
}
