import ArgumentParser
import Foundation
import KeywardAPI

struct IdentitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identities",
        abstract: "Manage non-human identities (the inventory).",
        subcommands: [Create.self, List.self, Show.self, Update.self, Decommission.self, Privilege.self]
    )

    static func printIdentity(_ i: IdentityResponse) {
        Output.fields([
            ("id", i.id), ("name", i.name), ("kind", i.kind), ("status", i.status), ("environment", i.environment),
            ("business owner", i.businessOwner ?? "-"), ("technical owner", i.technicalOwner ?? "-"), ("purpose", i.purpose ?? "-"),
            ("data classification", i.dataClassification), ("allowed scopes", i.allowedScopes.joined(separator: " ")),
            ("labels", i.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")),
            ("rate limit", Arg.describe(i.rateLimit)), ("created", Output.date(i.createdAt)), ("updated", Output.date(i.updatedAt)),
        ] + (i.decommissionedAt.map { [("decommissioned", Output.date($0))] } ?? []) + (i.revokedKeys.map { [("revoked keys", String($0))] } ?? []))
        if let open = i.openDetections, !open.isEmpty {
            Output.line("\nopen detections (keyward detections show ID):")
            Output.table(["ID", "DETECTOR", "ACTION", "SUBJECT", "AT", "EVIDENCE"], open.map {
                [$0.id, $0.detector, $0.action, $0.keyId ?? $0.clientId ?? "-", Output.date($0.at), $0.evidence.summary]
            })
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an identity.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Name.") var name: String
        @Option(help: "service, workload, pipeline, third_party or agent.") var kind: String
        @Option(help: "Where it runs: production, staging, dev… (free text; its keys' mode, live or test, follows from it: see keys create --mode).") var environment: String
        @Option(help: "Business owner.") var businessOwner: String?
        @Option(help: "Technical owner (required before keys can be issued).") var technicalOwner: String?
        @Option(help: "Purpose (required before keys can be issued).") var purpose: String?
        @Option(help: "public, internal, confidential or restricted.") var dataClassification: String?
        @Option(name: .customLong("label"), help: "A label key=value (repeatable).") var labels: [String] = []
        @Option(name: .customLong("allowed-scope"), help: "A scope keys of this identity may hold (repeatable).") var allowedScopes: [String] = []
        @Option(help: "Its own rate limit, shared by all its keys and tokens: LIMIT/SECONDS[:BURST], e.g. 100/60 (default: the server's policy).") var rateLimit: String?

        func run() async throws {
            guard let k = IdentityCreateRequest.Kind(rawValue: kind) else {
                throw CLIExit.error("--kind must be one of \(IdentityCreateRequest.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var dc: IdentityCreateRequest.Classification?
            if let d = dataClassification {
                guard let v = IdentityCreateRequest.Classification(rawValue: d) else { throw CLIExit.error("--data-classification must be public, internal, confidential or restricted") }
                dc = v
            }
            var l: [String: String] = [:]
            for item in labels {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw CLIExit.error("--label takes key=value") }
                l[parts[0]] = parts[1]
            }
            let req = IdentityCreateRequest(name: name, kind: k, businessOwner: businessOwner, technicalOwner: technicalOwner, purpose: purpose,
                                            environment: environment, dataClassification: dc, labels: l, allowedScopes: allowedScopes,
                                            rateLimit: try rateLimit.map(Arg.rateLimit))
            let i = try await client.client().call("POST", "/v1/identities", body: req, as: IdentityResponse.self)
            try client.present(i, id: i.id) { IdentitiesCommand.printIdentity(i) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List identities.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Filter by exact name.") var name: String?
        @Option(help: "Filter by business or technical owner.") var owner: String?
        @Option(help: "Filter by environment.") var environment: String?
        @Option(help: "Filter by kind.") var kind: String?
        @Option(help: "active or decommissioned.") var status: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?

        func run() async throws {
            var q = [("limit", String(limit))]
            if let name { q.append(("name", name)) }
            if let owner { q.append(("owner", owner)) }
            if let environment { q.append(("environment", environment)) }
            if let kind { q.append(("kind", kind)) }
            if let status { q.append(("status", status)) }
            if let cursor { q.append(("cursor", cursor)) }
            let page = try await client.client().call("GET", "/v1/identities" + Query.string(q), as: ListResponse<IdentityResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "NAME", "KIND", "ENV", "TECHNICAL OWNER", "STATUS"],
                             page.items.map { [$0.id, $0.name, $0.kind, $0.environment, $0.technicalOwner ?? "-", $0.status] })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one identity.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Identity id (idn_…).") var id: String
        func run() async throws {
            try Arg.identity(id, flag: "IDENTITY-ID")
            let i = try await client.client().call("GET", "/v1/identities/\(Query.path(id))", as: IdentityResponse.self)
            try client.present(i, id: i.id) { IdentitiesCommand.printIdentity(i) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an identity's owners, purpose, allowed scopes or rate limit.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Identity id (idn_…).") var id: String
        @Option(help: "Business owner.") var businessOwner: String?
        @Option(help: "Technical owner.") var technicalOwner: String?
        @Option(help: "Purpose.") var purpose: String?
        @Option(name: .customLong("allowed-scope"), help: "Replace the allowed scopes (repeatable).") var allowedScopes: [String] = []
        @Option(help: "Its own rate limit, LIMIT/SECONDS[:BURST] (e.g. 100/60), or policy for the server's.") var rateLimit: String?
        func run() async throws {
            try Arg.identity(id, flag: "IDENTITY-ID")
            let req = IdentityUpdateRequest(businessOwner: businessOwner, technicalOwner: technicalOwner, purpose: purpose,
                                            allowedScopes: allowedScopes.isEmpty ? nil : allowedScopes, rateLimit: try Arg.rateLimitChange(rateLimit))
            let i = try await client.client().call("PATCH", "/v1/identities/\(Query.path(id))", body: req, as: IdentityResponse.self)
            try client.present(i, id: i.id) { IdentitiesCommand.printIdentity(i) }
        }
    }

    struct Decommission: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decommission an identity and revoke all its keys.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Identity id (idn_…).") var id: String
        @Option(help: "Why (recorded in the audit log).") var reason: String
        @Flag(help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            try Arg.identity(id, flag: "IDENTITY-ID")
            try Confirm.ask("Decommission identity \(id) and revoke every key it holds, now?", yes: yes)
            let i = try await client.client().call("POST", "/v1/identities/\(Query.path(id))/decommission",
                                                   body: IdentityDecommissionRequest(reason: reason), as: IdentityResponse.self)
            try client.present(i, id: i.id) { IdentitiesCommand.printIdentity(i) }
        }
    }
}

enum Query {
    static func string(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?" + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    static func path(_ segment: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
