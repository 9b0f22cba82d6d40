import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance

// Incidents and blast radius: domain → wire.

extension IncidentResponse {
    init(_ i: Incident, detailed: Bool) {
        let dec = WireCoding.decoder()
        self.init(
            id: i.id.description, status: i.status.rawValue, targetKind: i.target.kind, targetId: i.target.description, targetVersion: i.targetVersion,
            identityId: i.identityID.description, environment: i.environment, source: i.source, classification: i.classification.rawValue,
            action: i.action.rawValue, receivedAt: i.receivedAt, matchedAt: i.matchedAt, containedAt: i.containedAt, notifiedAt: i.notifiedAt,
            timeToContainMs: i.timeToContainMillis, exposureCount: i.exposureCount, guidance: i.guidance,
            timeline: i.events.map { IncidentEventDTO(at: $0.at, kind: $0.kind, detail: $0.detail) },
            blastRadius: detailed ? try? dec.decode(BlastRadius.self, from: Data(i.blastRadiusJSON.utf8)) : nil,
            hunt: detailed ? try? dec.decode(Hunt.self, from: Data(i.huntJSON.utf8)) : nil)
    }
}

extension BlastRadius {
    init(_ r: BlastRadiusReport) {
        self.init(
            target: Target(kind: r.target.kind, id: r.target.id, version: r.target.version, prefix: r.target.prefix, provider: r.target.provider,
                           environment: r.target.environment, status: r.target.status),
            owner: Owner(identityId: r.owner.identityId, name: r.owner.name, kind: r.owner.kind, businessOwner: r.owner.businessOwner,
                         technicalOwner: r.owner.technicalOwner, purpose: r.owner.purpose, environment: r.owner.environment,
                         dataClassification: r.owner.dataClassification),
            scopes: r.scopes, resources: r.resources, derivedCredentials: r.derivedCredentials.map(Linked.init),
            declaredConsumers: r.declaredConsumers.map {
                DeclaredConsumer(id: $0.id, name: $0.name, kind: $0.kind, environment: $0.environment, contact: $0.contact)
            },
            observedConsumers: r.observedConsumers.map(ObservedConsumer.init), reuse: r.reuse.map(Linked.init), thirdParties: r.thirdParties)
    }
}

extension BlastRadius.Linked {
    init(_ l: BlastRadiusReport.Linked) {
        self.init(kind: l.kind, id: l.id, status: l.status, environment: l.environment, identityId: l.identityId)
    }
}

extension BlastRadius.ObservedConsumer {
    init(_ o: BlastRadiusReport.ObservedConsumer) {
        self.init(ip: o.ip, userAgent: o.userAgent, clientCertSubject: o.clientCertSubject, firstSeen: o.firstSeen, lastSeen: o.lastSeen,
                  count: o.count, undeclared: o.undeclared)
    }
}
