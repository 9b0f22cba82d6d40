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
                  decommissionedAt: i.decommissionedAt, revokedKeys: revokedKeys, rateLimit: i.rateLimit.map(RateLimitDTO.init))
    }
}

extension NewIdentity {
    init(_ body: IdentityCreateRequest) throws {
        self.init(name: body.name, kind: IdentityKind(rawValue: body.kind.rawValue)!, businessOwner: body.businessOwner,
                  technicalOwner: body.technicalOwner, purpose: body.purpose, environment: body.environment,
                  dataClassification: DataClassification(rawValue: (body.dataClassification ?? .internal).rawValue)!,
                  labels: body.labels ?? [:], allowedScopes: body.allowedScopes ?? [], rateLimit: try body.rateLimit.map(RateLimit.validated))
    }
}

extension IdentityChanges {
    init(_ body: IdentityUpdateRequest) throws {
        self.init(businessOwner: body.businessOwner, technicalOwner: body.technicalOwner, purpose: body.purpose,
                  labels: body.labels, allowedScopes: body.allowedScopes, rateLimit: try body.rateLimit.map(RateLimit.change))
    }
}

extension RateLimitDTO {
    init(_ l: RateLimit) { self.init(limit: l.limit, periodSeconds: l.periodSeconds, burst: l.burst) }
}

extension RateLimit {
    /// A limit from the wire, or 422 naming the ranges.
    static func validated(_ dto: RateLimitDTO) throws -> RateLimit {
        guard let l = RateLimit(limit: dto.limit, periodSeconds: dto.periodSeconds, burst: dto.burst) else {
            throw KeywardError(.validation, "rate_limit: limit 1 to 1000000, period_seconds 1 to 86400, burst 1 to 1000000")
        }
        return l
    }

    /// A `PATCH`'s `rate_limit`: set, or nil for back to the policy's.
    static func change(_ c: RateLimitChange) throws -> RateLimit? {
        switch c {
        case .set(let dto): try validated(dto)
        case .remove: nil
        }
    }
}
