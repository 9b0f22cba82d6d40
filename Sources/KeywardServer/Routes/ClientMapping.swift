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
    }
}

extension ClientResponse {
    init(_ c: OAuthClient, liveTokens: Int? = nil) {
        let keys = zip(c.publicKeys, c.keyThumbprints).map { json, thumbprint in
            let jwk = try? PublicJWK.parse(json: json)
            return ClientKeyDTO(kid: jwk?.kid, alg: jwk?.alg?.rawValue, kty: jwk?.kty ?? "unknown", thumbprint: thumbprint)
        }
        self.init(clientId: c.id.description, identityId: c.identityID.description, clientName: c.name, tokenEndpointAuthMethod: c.authMethod.rawValue,
                  keys: keys, scope: c.scopes.map(\.value).joined(separator: " "), environment: c.environment.rawValue,
                  dpopBoundAccessTokens: c.dpopBoundTokens, tlsClientCertificateBoundAccessTokens: c.certificateBoundTokens,
                  status: c.status.rawValue, createdAt: c.createdAt, revokedAt: c.revokedAt, revokeReason: c.revokeReason, liveTokens: liveTokens,
                  tlsClientAuthSubjectDn: c.tlsSubjectDN, tlsClientAuthSanDns: c.tlsSANDNS, jwksUri: c.jwksURI)
    }
}
