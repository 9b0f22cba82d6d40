import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

struct IncidentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "incidents", abstract: "Leak incidents: what was found, what was done, how long it took.",
                                                    subcommands: [List.self, Show.self, Resolve.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List incidents, newest first.")
        @OptionGroup var client: ClientOptions
        @Option(help: "open, contained or resolved.") var status: String?
        @Option(help: "Only incidents about this key or credential id.") var target: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?
        func run() async throws {
            var q = [("limit", String(limit))]
            if let status { q.append(("status", status)) }
            if let target { q.append(("target_id", target)) }
            if let cursor { q.append(("cursor", cursor)) }
            let page = try await client.client().call("GET", "/v1/incidents" + Query.string(q), as: ListResponse<IncidentResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "STATUS", "TARGET", "SOURCE", "ACTION", "TIME TO CONTAIN", "NOTIFIED", "RECEIVED"], page.items.map {
                    [$0.id, $0.status, $0.targetId, $0.source, $0.action, $0.timeToContainMs.map { "\($0) ms" } ?? "-",
                     $0.notifiedAt == nil ? "no" : "yes", Output.date($0.receivedAt)]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an incident: timeline, clock, blast radius, hunt, next steps.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Incident id (inc_…).") var id: String
        func run() async throws {
            let i = try await client.client().call("GET", "/v1/incidents/\(Query.path(id))", as: IncidentResponse.self)
            if client.json { try Output.json(i); return }
            Output.fields([("id", i.id), ("status", i.status), ("target", "\(i.targetKind) \(i.targetId)" + (i.targetVersion.map { " v\($0)" } ?? "")),
                           ("identity", i.identityId), ("source", i.source), ("classification", i.classification), ("action", i.action),
                           ("time to contain", i.timeToContainMs.map { "\($0) ms" } ?? "not contained"), ("exposures", String(i.exposureCount)),
                           ("notified", i.notifiedAt.map { "yes, \(Output.date($0))" } ?? "no one (no webhook subscribes to incident.opened)")])
            Output.line("\ntimeline:")
            Output.table(["AT", "EVENT", "DETAIL"], i.timeline.map { [Output.date($0.at), $0.kind, $0.detail] })
            if let h = i.hunt {
                Output.line("\nuse since \(Output.date(h.since)): \(h.outcomes.isEmpty ? "none recorded" : h.outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
                if !h.scopesUsed.isEmpty { Output.line("scopes used: \(h.scopesUsed.map { "\($0.scope) (\($0.count))" }.joined(separator: ", "))") }
                for s in h.sources { Output.line("  from \(s.ip ?? "-") \(s.userAgent ?? "-") ×\(s.count), last \(Output.date(s.lastSeen))") }
            }
            if let r = i.blastRadius { Output.line("\nblast radius when it was found:"); BlastRadiusCommand.print(r) }
            Output.line("\nnext: \(i.guidance)")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an incident (a later leak of the same credential opens a new one).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Incident id (inc_…).") var id: String
        @Option(help: "What was done.") var reason: String
        func run() async throws {
            let i = try await client.client().call("POST", "/v1/incidents/\(Query.path(id))/resolve", body: IncidentResolveRequest(reason: reason), as: IncidentResponse.self)
            if client.json { try Output.json(i) } else { Output.line("incident \(i.id) resolved") }
        }
    }
}
