import ArgumentParser
import Foundation
import KeywardAPI

extension IdentitiesCommand {
    struct Privilege: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Which granted scopes each key used over a window, the narrowing it supports, and (--apply) narrow them (audited).",
            discussion: """
                A proposal keeps the scopes valid verifies named in the window. A key used without naming scopes gets no proposal \
                (no evidence), an unused key is dormant, a key younger than the window has too little history. --apply narrows \
                every key with a proposal that removes a scope (or only the --key ones); keys derived from a narrowed key are \
                narrowed with it. A narrowed key cannot be widened again: issue a new key for that.
                """)
        @OptionGroup var client: ClientOptions
        @Argument(help: "Identity id (idn_…).") var id: String
        @Option(help: "The window in days (1-365).") var windowDays: Int = 30
        @Flag(help: "Narrow the keys to their proposals (needs an admin key).") var apply = false
        @Option(name: .customLong("key"), help: "With --apply: only this key (repeatable).") var keys: [String] = []
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            try Arg.identity(id, flag: "IDENTITY-ID")
            guard (1...365).contains(windowDays) else { throw CLIExit.error("--window-days must be from 1 to 365") }
            if !keys.isEmpty && !apply { throw CLIExit.error("--key narrows the apply: give it with --apply") }
            for k in keys { try Arg.key(k, flag: "--key") }
            let api = try client.client()
            let path = "/v1/identities/\(Query.path(id))/privilege"
            let p = try await api.call("GET", path + Query.string([("window_days", String(windowDays))]), as: IdentityPrivilegeResponse.self)
            guard apply else {
                return try client.present(p, id: p.keys.filter(\.narrows).map(\.keyId).joined(separator: "\n")) { Self.show(p) }
            }
            var chosen = p.keys.filter(\.narrows)
            if !keys.isEmpty {
                for k in keys where !chosen.contains(where: { $0.keyId == k }) {
                    let basis = p.keys.first { $0.keyId == k }.map { "its basis is \($0.basis)" } ?? "it is not a live key of this identity"
                    throw CLIExit.error("key \(k) has no proposal that removes a scope (\(basis))")
                }
                chosen = chosen.filter { keys.contains($0.keyId) }
            }
            guard !chosen.isEmpty else {
                if client.json { try Output.json(PrivilegeApplyResponse(identityId: p.identityId, windowDays: windowDays, changes: [])) } else if !client.quiet {
                    Output.line("nothing to narrow: no key has a proposal that removes a scope")
                }
                return
            }
            try Confirm.ask("Narrow \(chosen.count) key(s) of \(id) to the scopes they used in the last \(windowDays) days? A narrowed key cannot be widened again.", yes: yes)
            let body = PrivilegeApplyRequest(windowDays: windowDays, keys: chosen.map { PrivilegeApplyKey(keyId: $0.keyId) })
            let r = try await api.call("POST", path + "/apply", body: body, as: PrivilegeApplyResponse.self)
            try client.present(r, id: r.changes.filter(\.changed).map(\.keyId).joined(separator: "\n")) {
                Output.table(["KEY", "BEFORE", "AFTER", "REASON"], r.changes.map {
                    [$0.keyId, $0.scopesBefore.joined(separator: " "), $0.scopes.joined(separator: " "), $0.cascadeFrom.map { "cascade from \($0)" } ?? $0.reason]
                })
            }
        }

        static func show(_ p: IdentityPrivilegeResponse) {
            let s = p.summary
            func words(_ a: [String]) -> String { a.isEmpty ? "-" : a.joined(separator: " ") }
            Output.fields([("identity", p.identityId), ("window", "\(p.windowDays == 1 ? "1 day" : "\(p.windowDays) days") (since \(Output.date(p.windowStart)))"),
                           ("allowed scopes", words(s.allowedScopes)), ("granted to keys", words(s.grantedScopes)),
                           ("exercised", words(s.exercisedScopes)), ("allowed, unused", words(s.unusedAllowedScopes)),
                           ("keys to narrow", String(s.keysToNarrow)), ("dormant keys", String(s.dormantKeys))])
            Output.line("")
            Output.table(["KEY", "BASIS", "USES", "GRANTED", "EXERCISED", "UNUSED", "PROPOSED"], p.keys.map {
                [$0.keyId, $0.basis, String($0.validUses), words($0.grantedScopes), words($0.exercisedScopes.map { "\($0.scope)(\($0.uses))" }),
                 words($0.unusedScopes), $0.proposedScopes.map(words) ?? "none"]
            })
            for k in p.keys { Output.line("  \(k.keyId): \(k.note)") }
            if !p.clients.isEmpty {
                Output.line("")
                Output.table(["CLIENT", "BASIS", "GRANTED"], p.clients.map { [$0.clientId, $0.basis, words($0.grantedScopes)] })
                Output.line("  clients: \(IdentitiesCommand.Privilege.clientNote)")
            }
        }

        static let clientNote = "token verifies record use per key only: no per-client scope use is kept yet"
    }
}
