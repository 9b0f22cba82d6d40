import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// `keyward keys blast-radius ID`
struct BlastRadiusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blast-radius", abstract: "What breaks and what is reachable if this key is revoked.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Key id (key_…).") var id: String
    func run() async throws {
        let r = try await client.client().call("GET", "/v1/keys/\(Query.path(id))/blast-radius", as: BlastRadius.self)
        if client.json { try Output.json(r) } else { Self.print(r) }
    }

    static func print(_ r: BlastRadius) {
        Output.fields([("target", "\(r.target.kind) \(r.target.id) (\(r.target.status))"), ("owner", r.owner.name + " " + r.owner.identityId),
                       ("technical owner", r.owner.technicalOwner ?? "-"), ("business owner", r.owner.businessOwner ?? "-"),
                       ("scopes", r.scopes.joined(separator: " ")), ("resources", r.resources.joined(separator: " ")),
                       ("third parties", r.thirdParties.isEmpty ? "-" : r.thirdParties.joined(separator: ", "))])
        if !r.derivedCredentials.isEmpty {
            Output.line("\nderived credentials (revoked with it):")
            Output.table(["KIND", "ID", "STATUS"], r.derivedCredentials.map { [$0.kind, $0.id, $0.status] })
        }
        if !r.declaredConsumers.isEmpty {
            Output.line("\ndeclared consumers (break when it is revoked):")
            Output.table(["ID", "NAME", "KIND", "ENVIRONMENT", "CONTACT"], r.declaredConsumers.map { [$0.id, $0.name, $0.kind, $0.environment, $0.contact ?? "-"] })
        }
        if !r.observedConsumers.isEmpty {
            Output.line("\nobserved by verify:")
            Output.table(["IP", "USER AGENT", "CERT SUBJECT", "COUNT", "LAST SEEN", "DECLARED"], r.observedConsumers.map {
                [$0.ip ?? "-", $0.userAgent ?? "-", $0.clientCertSubject ?? "-", String($0.count), Output.date($0.lastSeen), $0.undeclared ? "no" : "yes"]
            })
        }
        if !r.reuse.isEmpty {
            Output.line("\nthe same secret registered elsewhere:")
            Output.table(["KIND", "ID", "IDENTITY", "ENVIRONMENT"], r.reuse.map { [$0.kind, $0.id, $0.identityId ?? "-", $0.environment ?? "-"] })
        }
    }
}

/// `keyward exposures report`: leak intelligence by hand (a paste, a partner's mail…).
struct ExposuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exposures", abstract: "Report leaked secrets to the server.", subcommands: [Report.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report one leaked secret: it is matched to its owner and contained by policy.",
            discussion: "Give the secret's --sha256, or --secret-stdin to send the plaintext (only to a server over TLS or on this machine; it is fingerprinted on arrival and dropped). KEYWARD_TOKEN needs keyward:report.")
        @OptionGroup var client: ClientOptions
        @Option(help: "scanner, paste, darknet, partner or internal.") var source: String = "internal"
        @Option(help: "SHA-256 of the secret (64 hex).") var sha256: String?
        @Flag(help: "Read the plaintext secret from standard input.") var secretStdin = false
        @Option(help: "Rule id, e.g. keyward.api-key, aws.access-key.") var rule: String = "reported"
        @Option(help: "Where it was found (URL).") var url: String?
        @Option(help: "Where it was found (file path).") var path: String?
        @Option(help: "When it was first seen (RFC 3339).") var firstSeen: String?

        func run() async throws {
            guard let src = ExposureReport.Source(rawValue: source) else {
                throw CLIExit.error("--source must be one of \(ExposureReport.Source.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (sha256 != nil) != secretStdin else { throw CLIExit.error("give --sha256 or --secret-stdin (exactly one)") }
            var secret: String?
            if secretStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIExit.error("no secret on standard input") }
                secret = line
            }
            var seen: Date?
            if let firstSeen {
                guard let d = ISO8601DateFormatter().date(from: firstSeen) else { throw CLIExit.error("--first-seen must be an RFC 3339 time like 2026-11-01T12:00:00Z") }
                seen = d
            }
            let api = try client.client()
            var item = ExposureItem(ruleId: rule, sha256: sha256?.lowercased(), path: path, url: url, firstSeen: seen, secret: secret)
            if let secret, !api.base.lowercased().hasPrefix("https://") {
                // No plaintext over plain HTTP: its digest and a possession proof instead. The server
                // then matches keys and high-entropy imports; a password needs TLS to be matched.
                let bytes = Array(secret.utf8)
                item.secret = nil
                item.sha256 = SecretDigest(hashing: bytes).hex
                item.possessionProof = PossessionProof.proof(of: bytes).hex
            }
            let receipt = try await api.call("POST", "/v1/exposures", body: ExposureReport(source: src, items: [item]), as: ExposureReceipt.self)
            if client.json { try Output.json(receipt); return }
            for r in receipt.results ?? [] {
                let action = r.action.map { ", action \($0)" } ?? "", incident = r.incidentId.map { ", incident \($0)" } ?? ""
                Output.line("exposure \(r.exposureId): \(r.classification)\(r.duplicate ? " (already reported)" : "")\(action)\(incident)")
            }
        }
    }
}

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

struct ConsumersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "consumers", abstract: "Declare who holds which credentials.",
                                                    subcommands: [Create.self, List.self, Show.self, Delete.self])

    static func show(_ c: ConsumerResponse) {
        Output.fields([("id", c.id), ("name", c.name), ("kind", c.kind), ("environment", c.environment), ("contact", c.contact ?? "-"),
                       ("holds", c.holds.isEmpty ? "-" : c.holds.joined(separator: " ")), ("created", Output.date(c.createdAt))])
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Declare a consumer (deployment, pipeline, partner, agent, person).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Its name.") var name: String
        @Option(help: "deployment, pipeline, partner, agent or person.") var kind: String
        @Option(help: "Its environment, e.g. production.") var environment: String
        @Option(help: "Who to tell when a credential it holds changes.") var contact: String?
        @Option(name: .customLong("holds"), help: "A key or credential id it holds (repeatable).") var holds: [String] = []
        func run() async throws {
            let c = try await client.client().call("POST", "/v1/consumers", body: ConsumerCreateRequest(name: name, kind: kind, environment: environment,
                                                                                                      contact: contact, holds: holds), as: ConsumerResponse.self)
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

struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhooks", abstract: "Signed outgoing webhooks and their delivery log.",
                                                    subcommands: [Create.self, List.self, Deliveries.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a URL (the signing secret is printed once).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Receiver URL (http:// or https://).") var url: String
        @Option(name: .customLong("event"), help: "incident.opened, incident.contained, incident.resolved, key.revoked, key.rotated, key.expiring or * (repeatable).")
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
