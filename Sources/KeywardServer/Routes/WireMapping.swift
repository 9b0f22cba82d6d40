import Foundation
import KeywardAPI
import KeywardCore
import KeywardStore
import KeywardVerify

extension IdentityResponse {
    init(_ i: Identity, revokedKeys: Int? = nil) {
        self.init(id: i.id.description, name: i.name, kind: i.kind.rawValue, businessOwner: i.businessOwner, technicalOwner: i.technicalOwner,
                  purpose: i.purpose, environment: i.environment, dataClassification: i.dataClassification.rawValue, labels: i.labels,
                  allowedScopes: i.allowedScopes.map(\.value), status: i.status.rawValue, createdAt: i.createdAt, updatedAt: i.updatedAt,
                  decommissionedAt: i.decommissionedAt, revokedKeys: revokedKeys)
    }
}

extension KeyResponse {
    init(_ k: APIKey, now: Date, usage: [String: Int64]? = nil) {
        let cur = k.current
        self.init(
            id: k.id.description, identityId: k.identityID.description, name: k.name, environment: k.environment.rawValue,
            scopes: k.scopes.map(\.value), status: k.effectiveStatus(at: now), version: k.currentVersion, prefix: cur?.prefix ?? "",
            createdAt: k.createdAt, updatedAt: k.updatedAt, expiresAt: cur?.expiresAt, lastUsedAt: k.lastUsedAt,
            revokedAt: k.revokedAt, revokeReason: k.revokeReason,
            versions: k.versions.map { v in
                KeyVersionResponse(version: v.version, prefix: v.prefix, fingerprint: v.fingerprint.description, state: k.versionState(v, at: now),
                                   createdAt: v.createdAt, expiresAt: v.expiresAt, graceUntil: v.graceUntil)
            },
            usage: usage)
    }
}

extension KeyIssuedResponse {
    init(_ k: APIKey, secret: Secret) {
        let cur = k.current!
        self.init(id: k.id.description, key: secret.reveal(), prefix: cur.prefix, version: cur.version, identityId: k.identityID.description,
                  environment: k.environment.rawValue, scopes: k.scopes.map(\.value), expiresAt: cur.expiresAt, createdAt: cur.createdAt)
    }
}

extension VerifyResponse {
    init(_ o: VerifyOutcome) {
        self.init(valid: o.valid, reason: o.reason?.rawValue, keyId: o.keyID?.description, version: o.version,
                  identityId: o.identityID?.description, scopes: o.scopes?.map(\.value), expiresAt: o.expiresAt)
    }
}

extension AuditRecordResponse {
    init(_ r: AuditRecord) {
        let details = (try? JSONDecoder().decode([String: String].self, from: Data(r.details.utf8))) ?? [:]
        self.init(seq: r.seq, at: Date(unixMillis: r.at), actor: r.actor, action: r.action, target: r.target, details: details,
                  prevHash: r.prevHash, hash: r.hash)
    }
}
