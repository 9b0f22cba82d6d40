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
    package init(name: String, kind: String, environment: String, contact: String?, holds: [String]?) {
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
                             holds: Set(refs).sorted { $0.description < $1.description }, createdAt: tx.now)
            try await self.store.insertConsumer(c, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .consumerCreated, target: c.id.description, details: [
                "name": c.name, "kind": kind.rawValue, "environment": c.environment, "holds": c.holds.map(\.description).joined(separator: " "),
            ]))
            return c
        }
    }
}
