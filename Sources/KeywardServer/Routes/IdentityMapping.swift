import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance

// Identities: wire ↔ domain.

extension IdentityResponse {
    init(_ i: Identity, revokedKeys: Int? = nil) {
        self.init(id: i.id.description, name: i.name, kind: i.kind.rawValue, businessOwner: i.businessOwner, technicalOwner: i.technicalOwner,
                  purpose: i.purpose, environment: i.environment, dataClassification: i.dataClassification.rawValue, labels: i.labels,
                  allowedScopes: i.allowedScopes.map(\.value), status: i.status.rawValue, createdAt: i.createdAt, updatedAt: i.updatedAt,
                  decommissionedAt: i.decommissionedAt, revokedKeys: revokedKeys)
    }
}

extension NewIdentity {
    init(_ body: IdentityCreateRequest) {
        self.init(name: body.name, kind: IdentityKind(rawValue: body.kind.rawValue)!, businessOwner: body.businessOwner,
                  technicalOwner: body.technicalOwner, purpose: body.purpose, environment: body.environment,
                  dataClassification: DataClassification(rawValue: (body.dataClassification ?? .internal).rawValue)!,
                  labels: body.labels ?? [:], allowedScopes: body.allowedScopes ?? [])
    }
}

extension IdentityChanges {
    init(_ body: IdentityUpdateRequest) {
        self.init(businessOwner: body.businessOwner, technicalOwner: body.technicalOwner, purpose: body.purpose,
                  labels: body.labels, allowedScopes: body.allowedScopes)
    }
}
