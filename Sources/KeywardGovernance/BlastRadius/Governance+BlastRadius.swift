import Foundation
import KeywardCore
import KeywardStore
import Logging

/// Blast radius and hunt: what a credential reaches and who holds it, computed from the
/// inventory, the derived-credential links, declared consumers and verify telemetry.
extension Governance {
    package func blastRadius(of id: KeyID) async throws -> BlastRadiusReport {
        try await store.read { db in
            guard let key = try await self.store.key(id, in: db) else { throw KeywardError.notFound("key") }
            guard let identity = try await self.store.identity(key.identityID, in: db) else { throw StoreError.corrupt("key without identity") }
            return try await self.blastRadius(of: key, version: nil, identity: identity, in: db)
        }
    }

    func blastRadius(of key: APIKey, version: Int?, identity: Identity, in db: StoreDB) async throws -> BlastRadiusReport {
        let now = store.clock.now()
        let v = version.flatMap { n in key.versions.first { $0.version == n } } ?? key.current
        let target = BlastRadiusReport.Target(kind: "key", id: key.id.description, version: v?.version, prefix: v?.prefix ?? "", provider: "keyward",
                                        environment: key.environment.rawValue, status: key.effectiveStatus(at: now))
        let declared = try await store.consumers(holding: .key(key.id), in: db)
        let observed = try await store.sources(of: key.id, in: db).map { Self.observed($0, declared: declared) }
        var derived: [BlastRadiusReport.Linked] = []
        var frontier: [CredentialRef] = [.key(key.id)]
        var seen = Set(frontier)
        while let parent = frontier.popLast(), derived.count < 1_000 {
            for child in try await store.derived(from: parent, in: db) where seen.insert(child).inserted {
                frontier.append(child)
                if let cid = child.keyID, let ck = try await store.key(cid, in: db) {
                    derived.append(.init(kind: child.kind, id: child.description, status: ck.effectiveStatus(at: now), environment: ck.environment.rawValue,
                                         identityId: ck.identityID.description))
                } else {
                    derived.append(.init(kind: child.kind, id: child.description, status: "unknown"))
                }
            }
        }
        var reuse: [BlastRadiusReport.Linked] = []
        for d in Set(key.versions.map(\.digest)) {
            for c in try await store.credentials(digest: d, fingerprint: nil, in: db) {
                reuse.append(.init(kind: "credential", id: c.id.description, status: c.status.rawValue, environment: c.environment, identityId: c.identityID.description))
            }
        }
        return BlastRadiusReport(target: target, owner: Self.owner(identity), scopes: key.scopes.map(\.value), resources: Self.resources(key.scopes.map(\.value)),
                           derivedCredentials: derived, declaredConsumers: declared.map(Self.declared), observedConsumers: observed, reuse: reuse,
                           thirdParties: Self.thirdParties(identity: identity, consumers: declared))
    }

    func blastRadius(of c: Credential, identity: Identity, in db: StoreDB) async throws -> BlastRadiusReport {
        let target = BlastRadiusReport.Target(kind: "credential", id: c.id.description, version: nil, prefix: c.prefix, provider: c.provider,
                                        environment: c.environment, status: c.status.rawValue)
        let declared = try await store.consumers(holding: .credential(c.id), in: db)
        let reuse = try await store.credentials(digest: c.digest, fingerprint: c.fingerprint, in: db).filter { $0.id != c.id }.map {
            BlastRadiusReport.Linked(kind: "credential", id: $0.id.description, status: $0.status.rawValue, environment: $0.environment, identityId: $0.identityID.description)
        }
        var third = Self.thirdParties(identity: identity, consumers: declared)
        if !third.contains(c.provider) { third.append(c.provider) }
        return BlastRadiusReport(target: target, owner: Self.owner(identity), scopes: [], resources: [c.provider], derivedCredentials: [],
                           declaredConsumers: declared.map(Self.declared), observedConsumers: [], reuse: reuse, thirdParties: third)
    }

    /// The key's use since `since`: verify outcomes, sources and scopes (flushed telemetry).
    func hunt(_ id: KeyID, since: Date, in db: StoreDB) async throws -> HuntReport {
        let use = try await store.use(of: id, since: since, in: db)
        let failures = use.outcomes.filter { $0.key != "valid" }.values.reduce(0, +)
        return HuntReport(since: since, outcomes: use.outcomes, failures: failures,
                    sources: use.sources.map { Self.observed($0, declared: []) },
                    scopesUsed: use.scopes.map { .init(scope: $0.scope, count: $0.use.count, firstSeen: Date(unixMillis: $0.use.firstSeen),
                                                       lastSeen: Date(unixMillis: $0.use.lastSeen)) })
    }

    /// Completes the hunts of incidents a containment just opened or joined: flushes this node's
    /// usage (`flushUsage`), then computes each key incident's hunt again (`refreshHunt`). A
    /// containment — a detector's quarantine, a leak's revocation — is written first and never waits
    /// for a flush, so the hunt it stored lacks the calls still in the usage recorder; after this it
    /// counts them (other nodes' within their flush interval). A failure is logged: the incident
    /// keeps the hunt it was opened with.
    package func completeHunts(_ incidents: some Collection<IncidentID>, flushUsage: @Sendable () async -> Void) async {
        guard !incidents.isEmpty else { return }
        await flushUsage()
        for id in Set(incidents) {
            do { try await refreshHunt(id) } catch {
                logger.warning("completing an incident's hunt failed", metadata: ["incident_id": "\(id)", "error": "\(type(of: error))"])
            }
        }
    }

    /// Recomputes the hunt of a key's incident from the telemetry as it is now, from the moment its
    /// stored hunt starts. Evidence, not state, so not audited (the audit replays incidents' statuses).
    func refreshHunt(_ id: IncidentID) async throws {
        try await store.write { tx in
            guard let incident = try await self.store.incident(id, in: tx.db), case .key(let key) = incident.target,
                  let stored = StoredJSON.decode(HuntReport.self, incident.huntJSON) else { return }
            let hunt = try await self.hunt(key, since: stored.since, in: tx.db)
            try await self.store.updateIncidentHunt(id, huntJSON: StoredJSON.string(hunt), in: tx)
        }
    }

    static func owner(_ i: Identity) -> BlastRadiusReport.Owner {
        BlastRadiusReport.Owner(identityId: i.id.description, name: i.name, kind: i.kind.rawValue, businessOwner: i.businessOwner, technicalOwner: i.technicalOwner,
                          purpose: i.purpose, environment: i.environment, dataClassification: i.dataClassification.rawValue)
    }

    /// `payments:read` reaches `payments`; a scope without `:` names its resource itself.
    static func resources(_ scopes: [String]) -> [String] {
        Array(Set(scopes.map { s in s.split(separator: ":", maxSplits: 1).first.map(String.init) ?? s })).sorted()
    }

    static func declared(_ c: Consumer) -> BlastRadiusReport.DeclaredConsumer {
        BlastRadiusReport.DeclaredConsumer(id: c.id.description, name: c.name, kind: c.kind.rawValue, environment: c.environment, contact: c.contact)
    }

    /// An observed source is "declared" when a declared consumer's name appears in its
    /// client-certificate subject or user agent (the only identifying data verify receives).
    static func observed(_ s: UsageBatch.Source, declared: [Consumer]) -> BlastRadiusReport.ObservedConsumer {
        let text = ((s.clientCertSubject ?? "") + " " + (s.userAgent ?? "")).lowercased()
        let known = declared.contains { !$0.name.isEmpty && text.contains($0.name.lowercased()) }
        return BlastRadiusReport.ObservedConsumer(ip: s.ip, userAgent: s.userAgent, clientCertSubject: s.clientCertSubject,
                                            firstSeen: Date(unixMillis: s.firstSeen), lastSeen: Date(unixMillis: s.lastSeen), count: s.count,
                                            undeclared: !known)
    }

    static func thirdParties(identity: Identity, consumers: [Consumer]) -> [String] {
        var out = consumers.filter { $0.kind == .partner }.map(\.name)
        if identity.kind == .thirdParty { out.append(identity.name) }
        return out
    }
}
