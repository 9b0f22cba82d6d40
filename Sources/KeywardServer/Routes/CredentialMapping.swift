import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance

// Imported credentials: wire ↔ domain.

extension CredentialResponse {
    init(_ c: Credential, created: Bool?) {
        self.init(id: c.id.description, identityId: c.identityID.description, name: c.name, provider: c.provider, ruleId: c.ruleID,
                  environment: c.environment, fingerprint: c.fingerprint.description, hasDigest: c.digest != nil, prefix: c.prefix, origin: c.origin,
                  status: c.status.rawValue, revocation: Governance.revocationMethod(rule: c.ruleID, provider: c.provider), createdAt: c.createdAt, updatedAt: c.updatedAt,
                  created: created)
    }
}

extension CredentialImport {
    init(_ body: CredentialImportRequest) {
        self.init(identityID: body.identityId, origin: body.origin, items: body.items.map {
            Item(name: $0.name, secret: $0.secret, provider: $0.provider, ruleID: $0.ruleId, highEntropy: $0.highEntropy)
        })
    }
}
