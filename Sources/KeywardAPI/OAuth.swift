import Foundation

// Wire types of `/oauth/*` and `/.well-known/*`. Their member names are the RFCs' own, so they
// are encoded with explicit coding keys and no key strategy (`x5t#S256` must stay as it is).

/// RFC 6749 §5.1 (with RFC 9449's `token_type` `DPoP`). Never a refresh token.
package struct TokenResponse: Codable, Sendable {
    package var accessToken: String
    package var tokenType: String
    package var expiresIn: Int
    package var scope: String
    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in", scope
    }
    package init(accessToken: String, tokenType: String, expiresIn: Int, scope: String) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.scope = scope
    }
}

/// RFC 6749 §5.2 error body.
package struct OAuthErrorBody: Codable, Sendable {
    package var error: String
    package var errorDescription: String?
    enum CodingKeys: String, CodingKey {
        case error, errorDescription = "error_description"
    }
    package init(error: String, errorDescription: String?) {
        self.error = error
        self.errorDescription = errorDescription
    }
}

package struct ConfirmationDTO: Codable, Sendable, Equatable {
    package var jkt: String?
    package var x5tS256: String?
    enum CodingKeys: String, CodingKey {
        case jkt, x5tS256 = "x5t#S256"
    }
    package init(jkt: String?, x5tS256: String?) {
        self.jkt = jkt
        self.x5tS256 = x5tS256
    }
}

/// RFC 7662 §2.2. An inactive token is `{"active":false}` and nothing else.
package struct IntrospectionResponse: Codable, Sendable {
    package var active: Bool
    package var scope: String?
    package var clientId: String?
    package var sub: String?
    package var aud: String?
    package var iss: String?
    package var exp: Int?
    package var iat: Int?
    package var jti: String?
    package var tokenType: String?
    package var cnf: ConfirmationDTO?
    enum CodingKeys: String, CodingKey {
        case active, scope, clientId = "client_id", sub, aud, iss, exp, iat, jti, tokenType = "token_type", cnf
    }
    package init(active: Bool, scope: String? = nil, clientId: String? = nil, sub: String? = nil, aud: String? = nil, iss: String? = nil,
                 exp: Int? = nil, iat: Int? = nil, jti: String? = nil, tokenType: String? = nil, cnf: ConfirmationDTO? = nil) {
        self.active = active
        self.scope = scope
        self.clientId = clientId
        self.sub = sub
        self.aud = aud
        self.iss = iss
        self.exp = exp
        self.iat = iat
        self.jti = jti
        self.tokenType = tokenType
        self.cnf = cnf
    }
}

/// RFC 8414 authorization server metadata (the members Keyward supports).
package struct AuthorizationServerMetadata: Codable, Sendable {
    package var issuer: String
    package var tokenEndpoint: String
    package var jwksUri: String
    package var introspectionEndpoint: String
    package var revocationEndpoint: String
    package var grantTypesSupported: [String]
    package var tokenEndpointAuthMethodsSupported: [String]
    package var tokenEndpointAuthSigningAlgValuesSupported: [String]
    package var introspectionEndpointAuthMethodsSupported: [String]
    package var revocationEndpointAuthMethodsSupported: [String]
    package var dpopSigningAlgValuesSupported: [String]
    package var tlsClientCertificateBoundAccessTokens: Bool
    package var mtlsEndpointAliases: [String: String]?
    package var scopesSupported: [String]?
    enum CodingKeys: String, CodingKey {
        case issuer, tokenEndpoint = "token_endpoint", jwksUri = "jwks_uri", introspectionEndpoint = "introspection_endpoint"
        case revocationEndpoint = "revocation_endpoint", grantTypesSupported = "grant_types_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case tokenEndpointAuthSigningAlgValuesSupported = "token_endpoint_auth_signing_alg_values_supported"
        case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case dpopSigningAlgValuesSupported = "dpop_signing_alg_values_supported"
        case tlsClientCertificateBoundAccessTokens = "tls_client_certificate_bound_access_tokens"
        case mtlsEndpointAliases = "mtls_endpoint_aliases", scopesSupported = "scopes_supported"
    }
    package init(issuer: String, tokenEndpoint: String, jwksUri: String, introspectionEndpoint: String, revocationEndpoint: String,
                 grantTypesSupported: [String], tokenEndpointAuthMethodsSupported: [String], tokenEndpointAuthSigningAlgValuesSupported: [String],
                 introspectionEndpointAuthMethodsSupported: [String], revocationEndpointAuthMethodsSupported: [String],
                 dpopSigningAlgValuesSupported: [String], tlsClientCertificateBoundAccessTokens: Bool, mtlsEndpointAliases: [String: String]?,
                 scopesSupported: [String]?) {
        self.issuer = issuer
        self.tokenEndpoint = tokenEndpoint
        self.jwksUri = jwksUri
        self.introspectionEndpoint = introspectionEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.grantTypesSupported = grantTypesSupported
        self.tokenEndpointAuthMethodsSupported = tokenEndpointAuthMethodsSupported
        self.tokenEndpointAuthSigningAlgValuesSupported = tokenEndpointAuthSigningAlgValuesSupported
        self.introspectionEndpointAuthMethodsSupported = introspectionEndpointAuthMethodsSupported
        self.revocationEndpointAuthMethodsSupported = revocationEndpointAuthMethodsSupported
        self.dpopSigningAlgValuesSupported = dpopSigningAlgValuesSupported
        self.tlsClientCertificateBoundAccessTokens = tlsClientCertificateBoundAccessTokens
        self.mtlsEndpointAliases = mtlsEndpointAliases
        self.scopesSupported = scopesSupported
    }
}
