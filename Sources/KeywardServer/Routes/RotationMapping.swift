import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

// Rotation progress and consumer match sources: wire ↔ domain (issue 15).

extension ConsumerSourceBody {
    init(_ s: ConsumerSource) {
        self.init(ip: s.ip, userAgent: s.userAgent, clientCertSubject: s.clientCertSubject, clientCertThumbprint: s.clientCertThumbprint)
    }
}

extension ConsumerSource {
    init(_ b: ConsumerSourceBody) {
        self.init(ip: b.ip, userAgent: b.userAgent, clientCertSubject: b.clientCertSubject, clientCertThumbprint: b.clientCertThumbprint)
    }
}

extension KeyRotationResponse {
    init(_ r: RotationReport) {
        let rot = r.rotation
        self.init(keyId: rot.keyID.description, fromVersion: rot.fromVersion, toVersion: rot.toVersion, rotatedAt: rot.rotatedAt, graceUntil: r.graceUntil,
                  hardMaximumAt: rot.hardMaximum, quietPeriodSeconds: Int(rot.quietPeriod.rounded()), extensions: rot.extensions,
                  state: r.isOpen ? "open" : "closed", closedAt: rot.closedAt, closeReason: rot.closeReason?.rawValue, closesIfQuietAt: r.closesIfQuietAt,
                  consumers: r.consumers.map { e in
                      RotationConsumerResponse(id: e.consumer.id, name: e.consumer.name, kind: e.consumer.kind.rawValue, status: e.status.rawValue,
                                               lastOldUse: e.consumer.lastOld, lastNewUse: e.consumer.lastNew, oldUses: e.oldUses, newUses: e.newUses,
                                               source: e.source.map(ConsumerSourceBody.init))
                  })
    }
}
