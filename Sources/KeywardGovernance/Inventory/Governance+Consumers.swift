import Foundation
import KeywardCore
import KeywardStore

/// A new consumer, as the client sent it (`kind` is checked here, with the other fields).
package struct NewConsumer: Sendable {
    package var name: String
    package var kind: String
    package var environment: String
    package var contact: String?
    /// Key ids and credential ids this consumer holds.
    package var holds: [String]?
    /// How to recognise it in verify telemetry (see `ConsumerSource`).
    package var sources: [ConsumerSource]?
    package init(name: String, kind: String, environment: String, contact: String?, holds: [String]?, sources: [ConsumerSource]? = nil) {
        self.sources = sources
        self.name = name
        self.kind = kind
        self.environment = environment
        self.contact = contact
        self.holds = holds
    }
}

/// Consumers: who holds which credential (the declared part of a blast radius).
extension Governance {
    package func createConsumer(_ r: NewConsumer, actor: Principal) async throws -> Consumer {
        try Validate.text(r.name, field: "name", max: 200)
        guard let kind = ConsumerKind(rawValue: r.kind) else {
            throw KeywardError(.validation, "kind must be one of \(ConsumerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try Validate.token(r.environment, field: "environment")
        try Validate.optionalText(r.contact, field: "contact", max: 200)
        let holds = r.holds ?? []
        guard holds.count <= 100 else { throw KeywardError(.validation, "holds: at most 100 credentials") }
        let sources = try Self.validSources(r.sources ?? [])
        return try await store.write { tx in
            var refs: [CredentialRef] = []
            for h in holds {
                let known: Bool
                switch CredentialRef(h) {
                case .key(let k): known = try await self.store.key(k, in: tx.db) != nil
                case .credential(let c): known = try await self.store.credential(c, in: tx.db) != nil
                case .client(let c): known = try await self.store.client(c, in: tx.db) != nil
                case nil: throw KeywardError(.validation, "holds: each entry is a key id (key_…), a credential id (crd_…) or a client id (cli_…)")
                }
                guard known, let ref = CredentialRef(h) else { throw KeywardError(.validation, "holds: \(h) does not exist") }
                refs.append(ref)
            }
            let c = Consumer(id: .random(), name: r.name, kind: kind, environment: r.environment, contact: r.contact,
                             holds: Set(refs).sorted { $0.description < $1.description }, createdAt: tx.now, sources: sources)
            try await self.store.insertConsumer(c, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .consumerCreated, target: c.id.description, details: [
                "name": c.name, "kind": kind.rawValue, "environment": c.environment, "holds": c.holds.map(\.description).joined(separator: " "),
            ].merging(sources.isEmpty ? [:] : ["sources": String(sources.count)]) { $1 }))
            return c
        }
    }
}

extension Governance {
    /// Replaces how a consumer is recognised in verify telemetry (issue 15: rotation progress
    /// attributes a source matching one entry to it). An empty list makes it unrecognisable again.
    package func setConsumerSources(_ id: ConsumerID, to sources: [ConsumerSource], actor: Principal) async throws -> Consumer {
        let sources = try Self.validSources(sources)
        return try await store.write { tx in
            guard var c = try await self.store.consumer(id, in: tx.db) else { throw KeywardError.notFound("consumer") }
            try await self.store.replaceConsumerSources(of: id, with: sources, in: tx)
            c.sources = sources
            tx.audit(AuditEntry(actor: actor.name, action: .consumerUpdated, target: id.description, details: ["sources": String(sources.count)]))
            return c
        }
    }

    /// At most 20 entries, each with at least one attribute; values are free text from an
    /// admin, checked like every other (length, no control characters, no credential).
    static func validSources(_ sources: [ConsumerSource]) throws -> [ConsumerSource] {
        guard sources.count <= 20 else { throw KeywardError(.validation, "sources: at most 20 entries") }
        for s in sources {
            guard ![s.ip, s.userAgent, s.clientCertSubject, s.clientCertThumbprint].contains("") else {
                throw KeywardError(.validation, "sources: an attribute is either left out or not empty")
            }
            guard !s.isEmpty else { throw KeywardError(.validation, "sources: each entry names ip, user_agent, client_cert_subject or client_cert_thumbprint") }
            try Validate.optionalText(s.ip, field: "sources[].ip", max: 64)
            try Validate.optionalText(s.userAgent, field: "sources[].user_agent", max: 256)
            try Validate.optionalText(s.clientCertSubject, field: "sources[].client_cert_subject", max: 256)
            try Validate.optionalText(s.clientCertThumbprint, field: "sources[].client_cert_thumbprint", max: 128)
        }
        var seen = Set<ConsumerSource>()
        return sources.filter { seen.insert($0).inserted }
    }
}
