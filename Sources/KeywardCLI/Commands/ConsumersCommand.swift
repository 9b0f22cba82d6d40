import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

struct ConsumersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "consumers", abstract: "Declare who holds which credentials.",
                                                    subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self])

    static func show(_ c: ConsumerResponse) {
        Output.fields([("id", c.id), ("name", c.name), ("kind", c.kind), ("environment", c.environment), ("contact", c.contact ?? "-"),
                       ("holds", c.holds.isEmpty ? "-" : c.holds.joined(separator: " ")), ("created", Output.date(c.createdAt))]
                      + (c.sources ?? []).map { ("source", ConsumerMatchOptions.describe($0)) })
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Declare a consumer (deployment, pipeline, partner, agent, person).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Its name.") var name: String
        @Option(help: "deployment, pipeline, partner, agent or person.") var kind: String
        @Option(help: "Its environment, e.g. production.") var environment: String
        @Option(help: "Who to tell when a credential it holds changes.") var contact: String?
        @Option(name: .customLong("holds"), help: "A key or credential id it holds (repeatable).") var holds: [String] = []
        @OptionGroup var match: ConsumerMatchOptions
        func run() async throws {
            let c = try await client.client().call("POST", "/v1/consumers", body: ConsumerCreateRequest(name: name, kind: kind, environment: environment,
                                                                                                      contact: contact, holds: holds, sources: match.sources),
                                                   as: ConsumerResponse.self)
            try client.present(c, id: c.id) { ConsumersCommand.show(c) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List consumers.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only consumers holding this key or credential id.") var holds: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?
        func run() async throws {
            var q = [("limit", String(limit))]
            if let holds { q.append(("holds", holds)) }
            if let cursor { q.append(("cursor", cursor)) }
            let page = try await client.client().call("GET", "/v1/consumers" + Query.string(q), as: ListResponse<ConsumerResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "NAME", "KIND", "ENVIRONMENT", "HOLDS"], page.items.map { [$0.id, $0.name, $0.kind, $0.environment, String($0.holds.count)] })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one consumer.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Consumer id (csm_…).") var id: String
        func run() async throws {
            try Arg.consumer(id)
            let c = try await client.client().call("GET", "/v1/consumers/\(Query.path(id))", as: ConsumerResponse.self)
            try client.present(c, id: c.id) { ConsumersCommand.show(c) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a consumer and what it declared it holds.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Consumer id (csm_…).") var id: String
        @Flag(help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            try Arg.consumer(id)
            try await client.delete("consumers", id: id, question: "Delete consumer \(id)?", yes: yes)
        }
    }
}
