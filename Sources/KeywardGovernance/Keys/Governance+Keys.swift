import Foundation
import KeywardCore
import KeywardStore

package struct NewKey: Sendable {
    package var identityID: IdentityID
    package var scopes: [String]
    package var environment: KeyEnvironment
    package var ttlSeconds: Int?
    package var expiresAt: Date?
    package var name: String?
    package var nonExpiring: Bool
    package var exceptionReason: String?
    /// Mint this key from a live key of the same identity (see `KeyCreateRequest.derivedFrom`).
    package var derivedFrom: KeyID?
    /// The key's own rate limit (nil: the policy's for its environment).
    package var rateLimit: RateLimit?
    package init(identityID: IdentityID, scopes: [String], environment: KeyEnvironment, ttlSeconds: Int?, expiresAt: Date?, name: String?, nonExpiring: Bool,
                 exceptionReason: String?, derivedFrom: KeyID? = nil, rateLimit: RateLimit? = nil) {
        self.rateLimit = rateLimit
        self.derivedFrom = derivedFrom
        self.identityID = identityID
        self.scopes = scopes
        self.environment = environment
        self.ttlSeconds = ttlSeconds
        self.expiresAt = expiresAt
        self.name = name
        self.nonExpiring = nonExpiring
        self.exceptionReason = exceptionReason
    }
}

extension Governance {
    /// Issues a key under policy. A refusal is audited (with the rule) and thrown as 422.
    package func issueKey(_ n: NewKey, actor: Principal) async throws -> (APIKey, Secret) {
        try Validate.optionalText(n.name, field: "name", max: 200)
        try Validate.optionalText(n.exceptionReason, field: "policy_exception_reason", max: 500)
        if n.ttlSeconds != nil && n.expiresAt != nil {
            throw KeywardError(.validation, "give ttl_seconds or expires_at, not both")
        }
        if n.nonExpiring && (n.ttlSeconds != nil || n.expiresAt != nil) {
            throw KeywardError(.validation, "non_expiring excludes ttl_seconds and expires_at")
        }
        if let t = n.ttlSeconds, t > 100 * 365 * 86_400 || t < -100 * 365 * 86_400 {
            throw KeywardError(.validation, "ttl_seconds is out of range")
        }
        let scopes = try Validate.scopes(n.scopes, field: "scopes", allowReserved: n.identityID == .keyward)
        let secret = APIKeyFormat.generate(environment: n.environment)
        let result: Result<APIKey, KeywardError> = try await store.write { tx in
            guard let identity = try await self.store.identity(n.identityID, in: tx.db) else { throw KeywardError.notFound("identity") }
            let lifetime: TimeInterval? = n.ttlSeconds.map(TimeInterval.init) ?? n.expiresAt.map { $0.timeIntervalSince(tx.now) }
            let request = IssuancePolicy.Request(scopes: scopes, environment: n.environment, lifetime: lifetime,
                                                 nonExpiring: n.nonExpiring, exceptionReason: n.exceptionReason)
            var decision = self.policy.decide(request, for: identity, now: tx.now)
            if case .allowWithException = decision, !actor.isAdmin {
                decision = .deny(rule: "lifetime.exception_requires_admin", message: "only an admin may grant a policy exception")
            }
            let expiresAt: Date?, exception: String?
            switch decision {
            case .deny(let rule, let message):
                tx.audit(AuditEntry(actor: actor.name, action: .keyRefused, target: identity.id.description, details: [
                    "rule": rule, "environment": n.environment.rawValue, "scopes": scopes.map(\.value).joined(separator: " "),
                ]))
                return .failure(KeywardError(.policyDenied, message, rule: rule))
            case .allow(let e): (expiresAt, exception) = (e, nil)
            case .allowWithException(let e, let reason): (expiresAt, exception) = (e, reason)
            }
            if let parentID = n.derivedFrom {
                if let refusal = try await self.derivationRefusal(parentID, identity: identity.id, scopes: scopes, environment: n.environment,
                                                                  expiresAt: expiresAt, in: tx) {
                    return .failure(refusal)
                }
            }
            var key = self.newKey(secret: secret, identity: identity.id, name: n.name, environment: n.environment,
                                  scopes: scopes, expiresAt: expiresAt, now: tx.now)
            key.rateLimit = n.rateLimit
            try await self.store.insertKey(key, in: tx)
            if let parentID = n.derivedFrom {
                try await self.store.linkDerived(parent: .key(parentID), child: .key(key.id), in: tx)
                tx.audit(AuditEntry(actor: actor.name, action: .keyDerived, target: key.id.description, details: ["derived_from": parentID.description]))
            }
            if let exception {
                tx.audit(AuditEntry(actor: actor.name, action: .policyException, target: key.id.description,
                                    details: ["rule": "lifetime.non_expiring", "reason": exception]))
            }
            tx.audit(self.issuedEntry(key, actor: actor))
            return .success(key)
        }
        // The refusal's audit record is committed before the error is returned.
        switch result {
        case .success(let key): return (key, secret)
        case .failure(let refusal): throw refusal
        }
    }

    /// Rotates: same id, version + 1, same identity/scopes/lifetime policy; the previous
    /// version stays valid for `grace` seconds, then answers `rotated`. The rotation is tracked
    /// (`RotationWatcher`): the window closes early once the old version has been quiet for
    /// `quietPeriodSeconds` (default: the policy's), and is extended for lagging declared
    /// consumers up to `maxGraceSeconds` after now (default and ceiling: the policy's `maxGrace`;
    /// below the grace window, no extension).
    package func rotateKey(_ id: KeyID, graceSeconds: Int?, quietPeriodSeconds: Int? = nil, maxGraceSeconds: Int? = nil,
                           actor: Principal) async throws -> (APIKey, Secret) {
        let grace = TimeInterval(graceSeconds ?? Int(policy.defaultGrace))
        guard grace >= 0 else { throw KeywardError(.validation, "grace_seconds must not be negative") }
        guard grace <= policy.maxGrace else {
            throw KeywardError(.policyDenied, "the grace window of \(Lifetime.describe(grace)) exceeds the policy maximum of \(Lifetime.describe(policy.maxGrace))", rule: "rotation.grace_exceeds_maximum")
        }
        let (quiet, hardMax) = try rotationBounds(grace: grace, quietPeriodSeconds: quietPeriodSeconds, maxGraceSeconds: maxGraceSeconds)
        return try await store.write { tx in
            guard var key = try await self.store.key(id, in: tx.db) else { throw KeywardError.notFound("key") }
            guard key.status != .revoked else { throw KeywardError(.conflict, "the key is revoked; issue a new key instead") }
            // Rotating a quarantined key is how its owner issues a successor: the exposed
            // version stops at once (no grace), the new version is not quarantined.
            let wasQuarantined = key.status == .quarantined
            guard let identity = try await self.store.identity(key.identityID, in: tx.db), identity.status == .active else {
                throw KeywardError(.conflict, "the key's identity is decommissioned")
            }
            guard let cur = key.current else { throw StoreError.corrupt("key without its current version") }
            let secret = APIKeyFormat.generate(environment: key.environment)
            let maxLife = self.policy.maxLifetime[key.environment] ?? self.policy.defaultLifetime
            let expiresAt = cur.expiresAt.map { exp in
                tx.now.addingTimeInterval(min(max(exp.timeIntervalSince(cur.createdAt), 1), maxLife))
            }
            let graceUntil = wasQuarantined ? tx.now : tx.now.addingTimeInterval(grace)
            if wasQuarantined { key.status = .active }
            for i in key.versions.indices where key.versions[i].version == cur.version {
                key.versions[i].graceUntil = graceUntil
            }
            let next = KeyVersion(version: cur.version + 1, digest: secret.sha256, fingerprint: self.fingerprints.fingerprint(secret),
                                  prefix: secret.displayPrefix, expiresAt: expiresAt, createdAt: tx.now,
                                  possessionCheck: PossessionProof.check(of: secret.bytes))
            try await self.store.insertVersion(next, of: id, in: tx)
            key.versions.append(next)
            key.currentVersion = next.version
            key.updatedAt = tx.now
            try await self.store.updateKey(key, in: tx)
            if !wasQuarantined {
                try await self.store.insertRotation(KeyRotationRecord(keyID: id, fromVersion: cur.version, toVersion: next.version, rotatedAt: tx.now,
                                                                      quietPeriod: quiet, hardMaximum: tx.now.addingTimeInterval(hardMax)), in: tx)
            }
            tx.audit(AuditEntry(actor: actor.name, action: .keyRotated, target: id.description, details: [
                "from_version": String(cur.version), "to_version": String(next.version),
                "grace_until": String(graceUntil.unixMillis), "fingerprint": next.fingerprint.description, "prefix": next.prefix,
                "expires_at": expiresAt.map { String($0.unixMillis) } ?? "never",
            ].merging(wasQuarantined ? ["quarantine_lifted": "true"] : [:]) { $1 }))
            try await self.emit(.keyRotated, ["key_id": id.description, "identity_id": key.identityID.description,
                                                "version": String(next.version), "grace_until": String(graceUntil.unixMillis)], in: tx)
            return (key, secret)
        }
    }

    /// Revokes every version at once.
    package func revokeKey(_ id: KeyID, reason: String, actor: Principal) async throws -> APIKey {
        try Validate.text(reason, field: "reason", max: 500)
        return try await store.write { tx in
            guard var key = try await self.store.key(id, in: tx.db) else { throw KeywardError.notFound("key") }
            guard key.status != .revoked else { throw KeywardError(.conflict, "the key is already revoked") }
            if key.identityID == .keyward {
                // Never lock every administrator out by hand: a usable admin key must remain once
                // the whole cascade has run (a key derived from this one dies with it).
                let doomed = try await self.cascade(from: key, in: tx)
                guard try await self.usableAdminKeys(excluding: doomed, in: tx) > 0 else {
                    throw KeywardError(.conflict, "revoking this key (with the keys derived from it) would leave no usable keyward:admin key; issue another admin key first")
                }
            }
            try await self.revoke(&key, reason: reason, actor: actor, in: tx)
            return key
        }
    }
}

extension Governance {
    /// Issues `count` keys for one identity in one transaction, each audited as usual (seeding
    /// for benchmarks and imports). Returns the plaintexts of the first `keep`.
    package func bulkIssue(count: Int, identity: IdentityID, scopes: [Scope], environment: KeyEnvironment, ttl: TimeInterval,
                           actor: Principal, keep: Int) async throws -> [Secret] {
        try await store.write { tx in
            guard let ident = try await self.store.identity(identity, in: tx.db) else { throw KeywardError.notFound("identity") }
            var kept: [Secret] = []
            for _ in 0..<count {
                let request = IssuancePolicy.Request(scopes: scopes, environment: environment, lifetime: ttl, nonExpiring: false, exceptionReason: nil)
                guard case .allow(let expiresAt) = self.policy.decide(request, for: ident, now: tx.now) else {
                    throw KeywardError(.policyDenied, "policy refuses these keys")
                }
                let secret = APIKeyFormat.generate(environment: environment)
                let key = self.newKey(secret: secret, identity: identity, name: nil, environment: environment, scopes: scopes, expiresAt: expiresAt, now: tx.now)
                try await self.store.insertKey(key, in: tx)
                tx.audit(self.issuedEntry(key, actor: actor))
                if kept.count < keep { kept.append(secret) }
            }
            return kept
        }
    }
}
