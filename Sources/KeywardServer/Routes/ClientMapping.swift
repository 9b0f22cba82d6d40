import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardOAuth

extension NewClient {
    init(_ r: ClientCreateRequest) {
        var refused: [String] = []
        if r.clientId != nil { refused.append("client_id") }
        if r.clientSecret != nil { refused.append("client_secret") }
        self.init(identityID: r.identityId, name: r.clientName, authMethod: r.tokenEndpointAuthMethod, jwksJSON: r.jwks?.jsonText,
                  jwksURI: r.jwksUri, tlsSubjectDN: r.tlsClientAuthSubjectDn, tlsSANDNS: r.tlsClientAuthSanDns, scope: r.scope,
                  environment: r.environment, dpopBound: r.dpopBoundAccessTokens ?? false,
                  certificateBound: r.tlsClientCertificateBoundAccessTokens ?? false, refusedMembers: refused)
        workloadTrust = r.workloadTrust.map {
            NewWorkloadTrust(issuer: $0.issuer, jwksJSON: $0.jwks?.jsonText, jwksURI: $0.jwksUri, subject: $0.subject, audience: $0.audience,
                             claims: $0.claims ?? [:], singleUse: $0.singleUse ?? true)
        }
        tlsCAThumbprint = r.tlsClientAuthCaThumbprint
    }
}

extension ClientResponse {
    init(_ c: OAuthClient, liveTokens: Int? = nil) {
        let keys = zip(c.publicKeys, c.keyThumbprints).map { json, thumbprint in
            let jwk = try? PublicJWK.parse(json: json)
            return ClientKeyDTO(kid: jwk?.kid, alg: jwk?.alg?.rawValue, kty: jwk?.kty ?? "unknown", thumbprint: thumbprint,
                                certificateThumbprint: SelfSignedClientCertificates.thumbprint(storedKey: json))
        }
        self.init(clientId: c.id.description, identityId: c.identityID.description, clientName: c.name, tokenEndpointAuthMethod: c.authMethod.rawValue,
                  keys: keys, scope: c.scopes.map(\.value).joined(separator: " "), environment: c.environment.rawValue,
                  dpopBoundAccessTokens: c.dpopBoundTokens, tlsClientCertificateBoundAccessTokens: c.certificateBoundTokens,
                  status: c.status.rawValue, createdAt: c.createdAt, revokedAt: c.revokedAt, revokeReason: c.revokeReason, liveTokens: liveTokens,
                  tlsClientAuthSubjectDn: c.tlsSubjectDN, tlsClientAuthSanDns: c.tlsSANDNS,
                  workloadTrust: c.workloadTrust.map {
                      WorkloadTrustDTO(issuer: $0.issuer, jwksUri: $0.jwksURI, subject: $0.subject, audience: $0.audience, claims: $0.claims,
                                       singleUse: $0.singleUse)
                  }, tlsClientAuthCaThumbprint: c.tlsCAThumbprint, jwksUri: c.jwksURI)
    }
}
