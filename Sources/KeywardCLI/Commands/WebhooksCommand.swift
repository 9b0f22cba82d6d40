import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhooks", abstract: "Signed outgoing webhooks and their delivery log.",
                                                    subcommands: [Create.self, List.self, Deliveries.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a URL (the signing secret is printed once).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Receiver URL (http:// or https://).") var url: String
        @Option(name: .customLong("event"), help: "incident.opened, incident.contained, incident.resolved, key.revoked, key.rotated, key.expiring, key.scopes_narrowed, detection.raised or * (repeatable).")
        var events: [String] = ["*"]
        func run() async throws {
            let w = try await client.client().call("POST", "/v1/webhooks", body: WebhookCreateRequest(url: url, events: events), as: WebhookResponse.self)
            if client.json { try Output.json(w); return }
            if client.quiet { print("\(w.id) \(w.secret ?? "-")"); return }
            Output.fields([("id", w.id), ("url", w.url), ("events", w.events.joined(separator: " "))])
            Output.line("\nsigning secret (shown once; verify Keyward-Signature: t=…,v1=hex(HMAC-SHA256(secret, \"t.body\"))):\n\n    \(w.secret ?? "-")\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List webhooks.")
        @OptionGroup var client: ClientOptions
        func run() async throws {
            let page = try await client.client().call("GET", "/v1/webhooks", as: ListResponse<WebhookResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "URL", "EVENTS", "STATUS"], page.items.map { [$0.id, $0.url, $0.events.joined(separator: " "), $0.status] })
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A webhook's delivery log, newest first.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Webhook id (whk_…).") var id: String
        func run() async throws {
            let page = try await client.client().call("GET", "/v1/webhooks/\(Query.path(id))/deliveries", as: ListResponse<WebhookDeliveryResponse>.self)
            if client.json { try Output.json(page); return }
            Output.table(["ID", "EVENT", "STATUS", "ATTEMPTS", "LAST", "CREATED"], page.items.map {
                [$0.id, $0.event, $0.status, String($0.attempts), $0.lastStatus.map(String.init) ?? ($0.lastError ?? "-"), Output.date($0.createdAt)]
            })
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unsubscribe a webhook (its delivery log and pending deliveries go with it).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Webhook id (whk_…).") var id: String
        @Flag(help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            try Arg.webhook(id)
            try await client.delete("webhooks", id: id, question: "Delete webhook \(id) and its delivery log?", yes: yes)
        }
    }
}
