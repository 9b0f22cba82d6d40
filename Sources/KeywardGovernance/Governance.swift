import Foundation
import KeywardCore
import KeywardOAuth
import KeywardStore
import Logging

/// The domain over the store: validation, policy, audit, containment, incidents, webhooks.
/// Every change and every refusal is audited in the same transaction as the change (fail closed).
package final class Governance: Sendable {
    package let store: Store
    package let policy: IssuancePolicy
    package let fingerprints: FingerprintKey
    /// What a matched leak triggers (revoke, quarantine, notify) per environment and source.
    package let containment: ContainmentPolicy
    /// How often owners confirm their identities (recertification, posture NHI1/NHI3).
    package let reviewPolicy: ReviewPolicy
    let logger: Logger
    /// Fetches a client's `jwks_uri` at registration (nil: `jwks_uri` refused).
    let remoteJWKS: RemoteJWKS?

    package init(store: Store, policy: IssuancePolicy, fingerprints: FingerprintKey, containment: ContainmentPolicy = ContainmentPolicy(), logger: Logger,
                 remoteJWKS: RemoteJWKS? = nil, reviewPolicy: ReviewPolicy = ReviewPolicy()) {
        self.remoteJWKS = remoteJWKS
        self.reviewPolicy = reviewPolicy
        self.store = store
        self.policy = policy
        self.fingerprints = fingerprints
        self.containment = containment
        self.logger = logger
    }

    /// On an empty store: creates the built-in `keyward` identity and an admin key, whose
    /// plaintext is returned once (the caller prints it) and never stored.
    package func bootstrapIfEmpty() async throws -> Secret? {
        if try await store.identity(.keyward) != nil { return nil }
        let secret = APIKeyFormat.generate(environment: .live)
        do {
            try await store.write { tx in
                let now = tx.now
                let identity = Identity(
                    id: .keyward, name: "keyward", kind: .service, businessOwner: "keyward", technicalOwner: "keyward",
                    purpose: "Keyward's own management access", environment: "system", dataClassification: .restricted,
                    labels: ["builtin": "true"], allowedScopes: Scope.management, createdAt: now, updatedAt: now)
                try await self.store.insertIdentity(identity, in: tx)
                let key = self.newKey(secret: secret, identity: .keyward, name: "bootstrap admin", environment: .live,
                                      scopes: [.admin], expiresAt: nil, now: now)
                try await self.store.insertKey(key, in: tx)
                tx.audit(AuditEntry(actor: "system", action: .systemBootstrap, target: identity.id.description,
                                    details: ["admin_key_id": key.id.description]))
                tx.audit(AuditEntry(actor: "system", action: .policyException, target: key.id.description,
                                    details: ["rule": "lifetime.non_expiring", "reason": "bootstrap admin key"]))
                tx.audit(self.issuedEntry(key, actor: .system))
            }
        } catch {
            // Another node bootstrapped first (unique id): not an error.
            if try await store.identity(.keyward) != nil { return nil }
            throw error
        }
        return secret
    }

    /// Offline recovery of management access (`keyward admin recover`), for when every admin key
    /// was revoked (a leaked admin key is revoked by containment, whatever remains) or lost.
    /// Like Vault's `operator generate-root`, it needs material only an operator of this
    /// installation has: the store itself and the HMAC key file, opened locally, not over
    /// HTTP. Issues a new non-expiring `keyward:admin` key, audited as `admin.recovered` with
    /// the local operator, and returns its plaintext once.
    package func recoverAdmin(operator name: String, host: String) async throws -> (APIKey, Secret, usableBefore: Int) {
        guard try await store.identity(.keyward) != nil else {
            throw KeywardError(.validation, "this store was never started: run keyward serve once, which creates the first admin key")
        }
        let secret = APIKeyFormat.generate(environment: .live)
        let actor = "local-operator:\(name)@\(host)"
        return try await store.write { tx in
            let before = try await self.usableAdminKeys(excluding: [], in: tx)
            let key = self.newKey(secret: secret, identity: .keyward, name: "recovered admin", environment: .live,
                                  scopes: [.admin], expiresAt: nil, now: tx.now)
            try await self.store.insertKey(key, in: tx)
            tx.audit(AuditEntry(actor: actor, action: .adminRecovered, target: IdentityID.keyward.description, details: [
                "admin_key_id": key.id.description, "usable_admin_keys_before": String(before),
            ]))
            tx.audit(AuditEntry(actor: actor, action: .policyException, target: key.id.description,
                                details: ["rule": "lifetime.non_expiring", "reason": "admin recovery"]))
            tx.audit(self.issuedEntry(key, actor: Principal(name: actor, isAdmin: true)))
            return (key, secret, before)
        }
    }

    func newKey(secret: Secret, identity: IdentityID, name: String?, environment: KeyEnvironment, scopes: [Scope], expiresAt: Date?, now: Date) -> APIKey {
        let version = KeyVersion(version: 1, digest: secret.sha256, fingerprint: fingerprints.fingerprint(secret),
                                 prefix: secret.displayPrefix, expiresAt: expiresAt, createdAt: now,
                                 possessionCheck: PossessionProof.check(of: secret.bytes))
        return APIKey(id: .random(), identityID: identity, name: name, environment: environment, scopes: scopes.sorted(),
                      status: .active, currentVersion: 1, createdAt: now, updatedAt: now, versions: [version])
    }

    func issuedEntry(_ k: APIKey, actor: Principal) -> AuditEntry {
        let v = k.current!
        var d = ["identity_id": k.identityID.description, "environment": k.environment.rawValue,
                 "scopes": k.scopes.map(\.value).joined(separator: " "), "version": String(v.version),
                 "fingerprint": v.fingerprint.description, "prefix": v.prefix]
        d["expires_at"] = v.expiresAt.map { String($0.unixMillis) } ?? "never"
        if let l = k.rateLimit { d["rate_limit"] = l.summary }
        return AuditEntry(actor: actor.name, action: .keyIssued, target: k.id.description, details: d)
    }
}
