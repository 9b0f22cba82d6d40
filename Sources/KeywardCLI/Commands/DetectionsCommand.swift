import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

struct DetectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detections", abstract: "Abuse the verify point detected: enumeration, brute force, spikes, new sources, probing, human use.",
        subcommands: [List.self, Show.self, Release.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List detections, newest first.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only this detector (enumeration, brute_force, volume_spike, volume_climb, new_source, scope_probing, object_enumeration, human_use).")
        var detector: String?
        @Option(help: "open or released.") var status: String?
        @Option(help: "Only detections about this key (key_…).") var key: String?
        @Option(help: "Only detections about this identity (idn_…).") var identity: String?
        @Option(help: "Only detections about this source address.") var source: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?
        func run() async throws {
            var q = [("limit", String(limit))]
            for (name, value) in [("detector", detector), ("status", status), ("key_id", key), ("identity_id", identity), ("source", source), ("cursor", cursor)] {
                if let value { q.append((name, value)) }
            }
            let page = try await client.client().call("GET", "/v1/detections" + Query.string(q), as: ListResponse<DetectionResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "DETECTOR", "ACTION", "STATUS", "SUBJECT", "SOURCE", "AT", "EVIDENCE"], page.items.map {
                    [$0.id, $0.detector, $0.action, $0.status, $0.keyId ?? $0.clientId ?? $0.identityId ?? "-", $0.source ?? "-", Output.date($0.at),
                     $0.evidence.summary]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a detection with its evidence.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Detection id (det_…).") var id: String
        func run() async throws {
            let d = try await client.client().call("GET", "/v1/detections/\(Query.path(id))", as: DetectionResponse.self)
            if client.json { try Output.json(d); return }
            let e = d.evidence
            var fields = [("id", d.id), ("detector", d.detector), ("action", d.action), ("status", d.status), ("at", Output.date(d.at))]
            if let k = d.keyId { fields.append(("key", k)) }
            if let c = d.clientId { fields.append(("client", c)) }
            if let i = d.identityId { fields.append(("identity", i)) }
            if let s = d.source { fields.append(("source", s)) }
            fields.append(("evidence", e.summary))
            fields.append(("window", "\(e.windowSeconds) s, counted \(e.count), threshold \(e.threshold)" + (e.baseline.map { ", baseline \($0)" } ?? "")))
            if !e.sources.isEmpty { fields.append(("sources", e.sources.joined(separator: ", "))) }
            if !e.items.isEmpty { fields.append(("items", e.items.joined(separator: ", "))) }
            if let inc = d.incidentId { fields.append(("incident", inc)) }
            if let b = d.blockedUntil { fields.append(("blocked until", Output.date(b))) }
            if let r = d.releasedAt { fields.append(("released", "\(Output.date(r)) by \(d.releasedBy ?? "-"): \(d.releaseReason ?? "")")) }
            Output.fields(fields)
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a detection: the key leaves quarantine, or the source is unblocked (needs keyward:admin; audited).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Detection id (det_…).") var id: String
        @Option(help: "Why it is safe.") var reason: String
        func run() async throws {
            let d = try await client.client().call("POST", "/v1/detections/\(Query.path(id))/release", body: DetectionReleaseRequest(reason: reason),
                                                   as: DetectionResponse.self)
            if client.json { try Output.json(d) } else { Output.line("detection \(d.id) released") }
        }
    }
}
