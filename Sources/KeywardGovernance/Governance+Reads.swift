import Foundation
import KeywardCore
import KeywardStore

/// What the routes read: the inventory, incidents, webhooks and the audit chain, as stored. No
/// rule applies to a read today; these keep the server off the store, so one can be added here.
extension Governance {
    /// The store's clock: when a report was received.
    package func now() -> Date { store.clock.now() }

    // MARK: inventory
    package func identities(_ filter: IdentityFilter, limit: Int, after cursor: String?) async throws -> Page<Identity> {
        try await store.listIdentities(filter, limit: limit, after: cursor)
    }
    package func identity(_ id: IdentityID) async throws -> Identity? { try await store.identity(id) }
    package func keys(_ filter: KeyFilter, limit: Int, after cursor: String?) async throws -> Page<APIKey> {
        try await store.listKeys(filter, limit: limit, after: cursor)
    }
    package func key(_ id: KeyID) async throws -> APIKey? { try await store.key(id) }
    /// Verify outcomes of a key, from flushed telemetry.
    package func usage(of id: KeyID) async throws -> KeyUsage { try await store.usage(of: id) }
    package func consumers(holding target: CredentialRef?, limit: Int, after cursor: String?) async throws -> Page<Consumer> {
        try await store.listConsumers(holding: target, limit: limit, after: cursor)
    }
    package func consumer(_ id: ConsumerID) async throws -> Consumer? { try await store.consumer(id) }
    package func credentials(identity: IdentityID?, limit: Int, after cursor: String?) async throws -> Page<Credential> {
        try await store.listCredentials(identity: identity, limit: limit, after: cursor)
    }
    package func credential(_ id: CredentialID) async throws -> Credential? { try await store.credential(id) }

    // MARK: incidents
    package func incidents(_ filter: IncidentFilter, limit: Int, after cursor: String?) async throws -> Page<Incident> {
        try await store.listIncidents(filter, limit: limit, after: cursor)
    }
    package func incident(_ id: IncidentID) async throws -> Incident? { try await store.incident(id) }

    // MARK: webhooks
    package func webhooks() async throws -> [WebhookRecord] { try await store.webhooks() }
    package func deliveries(of webhook: WebhookID, limit: Int) async throws -> [WebhookDelivery] {
        try await store.deliveries(of: webhook, limit: limit)
    }

    // MARK: audit
    package func auditPage(after seq: Int64, limit: Int) async throws -> [AuditRecord] { try await store.auditPage(after: seq, limit: limit) }
    package func auditHead() async throws -> (seq: Int64, hash: String) { try await store.auditHead() }
}
