import Foundation
import KeywardCore
import KeywardStore

/// Input for a new identity, already type-checked by the HTTP layer.
package struct NewIdentity: Sendable {
    package var name: String
    package var kind: IdentityKind
    package var businessOwner: String?
    package var technicalOwner: String?
    package var purpose: String?
    package var environment: String
    package var dataClassification: DataClassification
    package var labels: [String: String]
    package var allowedScopes: [String]
    package var rateLimit: RateLimit?
    package init(name: String, kind: IdentityKind, businessOwner: String?, technicalOwner: String?, purpose: String?, environment: String,
                 dataClassification: DataClassification, labels: [String: String], allowedScopes: [String], rateLimit: RateLimit? = nil) {
        self.rateLimit = rateLimit
        self.name = name
        self.kind = kind
        self.businessOwner = businessOwner
        self.technicalOwner = technicalOwner
        self.purpose = purpose
        self.environment = environment
        self.dataClassification = dataClassification
        self.labels = labels
        self.allowedScopes = allowedScopes
    }
}

package struct IdentityChanges: Sendable {
    package var businessOwner: String?
    package var technicalOwner: String?
    package var purpose: String?
    package var labels: [String: String]?
    package var allowedScopes: [String]?
    /// nil: unchanged; `.some(nil)`: back to the policy's limit.
    package var rateLimit: RateLimit??
    package init(businessOwner: String? = nil, technicalOwner: String? = nil, purpose: String? = nil, labels: [String: String]? = nil, allowedScopes: [String]? = nil,
                 rateLimit: RateLimit?? = nil) {
        self.rateLimit = rateLimit
        self.businessOwner = businessOwner
        self.technicalOwner = technicalOwner
        self.purpose = purpose
        self.labels = labels
        self.allowedScopes = allowedScopes
    }
}

extension Governance {
    package func createIdentity(_ n: NewIdentity, actor: Principal) async throws -> Identity {
        try Validate.text(n.name, field: "name", max: 200)
        if n.name.lowercased() == "keyward" { throw KeywardError(.conflict, "the name keyward is reserved for the built-in identity") }
        try Validate.optionalText(n.businessOwner, field: "business_owner", max: 200)
        try Validate.optionalText(n.technicalOwner, field: "technical_owner", max: 200)
        try Validate.optionalText(n.purpose, field: "purpose", max: 1000)
        try Validate.token(n.environment, field: "environment")
        try Validate.labels(n.labels)
        let scopes = try Validate.scopes(n.allowedScopes, field: "allowed_scopes", allowReserved: false)
        return try await store.write { tx in
            let identity = Identity(
                id: .random(), name: n.name, kind: n.kind, businessOwner: n.businessOwner, technicalOwner: n.technicalOwner,
                purpose: n.purpose, environment: n.environment, dataClassification: n.dataClassification, labels: n.labels,
                allowedScopes: scopes, createdAt: tx.now, updatedAt: tx.now, rateLimit: n.rateLimit)
            try await self.store.insertIdentity(identity, in: tx)
            var details = [
                "name": identity.name, "kind": identity.kind.rawValue, "environment": identity.environment,
                "business_owner": identity.businessOwner ?? "", "technical_owner": identity.technicalOwner ?? "",
                "purpose": identity.purpose ?? "", "allowed_scopes": scopes.map(\.value).joined(separator: " "),
                "data_classification": identity.dataClassification.rawValue,
            ]
            if let l = identity.rateLimit { details["rate_limit"] = l.summary }
            tx.audit(AuditEntry(actor: actor.name, action: .identityCreated, target: identity.id.description, details: details))
            return identity
        }
    }

    package func updateIdentity(_ id: IdentityID, _ c: IdentityChanges, actor: Principal) async throws -> Identity {
        try Validate.optionalText(c.businessOwner, field: "business_owner", max: 200)
        try Validate.optionalText(c.technicalOwner, field: "technical_owner", max: 200)
        try Validate.optionalText(c.purpose, field: "purpose", max: 1000)
        if let l = c.labels { try Validate.labels(l) }
        let scopes = try c.allowedScopes.map { try Validate.scopes($0, field: "allowed_scopes", allowReserved: false) }
        if id == .keyward { throw KeywardError(.conflict, "the built-in keyward identity cannot be changed") }
        return try await store.write { tx in
            guard var identity = try await self.store.identity(id, in: tx.db) else { throw KeywardError.notFound("identity") }
            guard identity.status == .active else { throw KeywardError(.conflict, "the identity is decommissioned") }
            var changed: [String: String] = [:]
            if let v = c.businessOwner { identity.businessOwner = v; changed["business_owner"] = v }
            if let v = c.technicalOwner { identity.technicalOwner = v; changed["technical_owner"] = v }
            if let v = c.purpose { identity.purpose = v; changed["purpose"] = v }
            if let v = c.labels { identity.labels = v; changed["labels"] = v.keys.sorted().joined(separator: " ") }
            if let v = scopes { identity.allowedScopes = v; changed["allowed_scopes"] = v.map(\.value).joined(separator: " ") }
            if let v = c.rateLimit { identity.rateLimit = v; changed["rate_limit"] = v?.summary ?? "policy" }
            identity.updatedAt = tx.now
            try await self.store.updateIdentity(identity, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .identityUpdated, target: id.description, details: changed))
            return identity
        }
    }

    /// Decommissions an identity and revokes every active key it holds, in one transaction.
    package func decommission(_ id: IdentityID, reason: String?, actor: Principal) async throws -> (Identity, Int) {
        try Validate.optionalText(reason, field: "reason", max: 500)
        if id == .keyward { throw KeywardError(.conflict, "the built-in keyward identity cannot be decommissioned") }
        return try await store.write { tx in
            guard var identity = try await self.store.identity(id, in: tx.db) else { throw KeywardError.notFound("identity") }
            guard identity.status == .active else { throw KeywardError(.conflict, "the identity is already decommissioned") }
            var revoked = 0
            for kid in try await self.store.keyIDs(of: id, in: tx.db) {
                guard var key = try await self.store.key(kid, in: tx.db), key.status != .revoked else { continue }
                revoked += try await self.revoke(&key, reason: "identity decommissioned", actor: actor, cascadeFrom: id.description, in: tx).count
            }
            // Its OAuth clients go with it, and every token they hold.
            let tokens = try await self.revokeClients(of: id, reason: "identity decommissioned", actor: actor, in: tx)
            identity.status = .decommissioned
            identity.decommissionedAt = tx.now
            identity.updatedAt = tx.now
            try await self.store.updateIdentity(identity, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .identityDecommissioned, target: id.description,
                                details: ["reason": reason ?? "", "revoked_keys": String(revoked), "revoked_tokens": String(tokens)]))
            return (identity, revoked)
        }
    }
}
