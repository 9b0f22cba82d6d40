import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance

// Keys: wire ↔ domain.

extension KeyResponse {
    init(_ k: APIKey, now: Date, usage: [String: Int64]? = nil) {
        let cur = k.current
        self.init(
            id: k.id.description, identityId: k.identityID.description, name: k.name, environment: k.environment.rawValue,
            scopes: k.scopes.map(\.value), status: k.effectiveStatus(at: now), version: k.currentVersion, prefix: cur?.prefix ?? "",
            createdAt: k.createdAt, updatedAt: k.updatedAt, expiresAt: cur?.expiresAt, lastUsedAt: k.lastUsedAt,
            revokedAt: k.revokedAt, revokeReason: k.revokeReason,
            versions: k.versions.map { v in
                KeyVersionResponse(version: v.version, prefix: v.prefix, fingerprint: v.fingerprint.description, state: k.state(of: v, at: now).rawValue,
                                   createdAt: v.createdAt, expiresAt: v.expiresAt, graceUntil: v.graceUntil)
            },
            usage: usage, rateLimit: k.rateLimit.map(RateLimitDTO.init))
    }
}

extension KeyIssuedResponse {
    init(_ k: APIKey, secret: Secret) {
        let cur = k.current!
        self.init(id: k.id.description, key: secret.reveal(), prefix: cur.prefix, version: cur.version, identityId: k.identityID.description,
                  environment: k.environment.rawValue, scopes: k.scopes.map(\.value), expiresAt: cur.expiresAt, createdAt: cur.createdAt)
    }
}

extension NewKey {
    // A static function, not a throwing `init` that delegates after a throw: built that way the
    // route crashed (a null dereference) with Swift 6.3 when the body's ids were bad.
    static func from(_ body: KeyCreateRequest) throws -> NewKey {
        guard let iid = IdentityID(body.identityId) else { throw KeywardError(.validation, "identity_id is not an identity id") }
        var parent: KeyID?
        if let d = body.derivedFrom {
            guard let p = KeyID(d) else { throw KeywardError(.validation, "derived_from is not a key id") }
            parent = p
        }
        return NewKey(identityID: iid, scopes: body.scopes, environment: KeyEnvironment(rawValue: body.environment.rawValue)!,
                      ttlSeconds: body.ttlSeconds, expiresAt: body.expiresAt, name: body.name, nonExpiring: body.nonExpiring ?? false,
                      exceptionReason: body.policyExceptionReason, derivedFrom: parent, rateLimit: try body.rateLimit.map(RateLimit.validated))
    }
}
