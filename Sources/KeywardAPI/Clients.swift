import Foundation

// Wire types of OAuth clients (`/v1/clients`). Member names follow RFC 7591 and RFC 8705's client
// metadata (snake_case on the wire through WireCoding).

/// Any JSON value, kept as it was sent (a client's `jwks` is validated by the server, member by member).
package enum RawJSON: Codable, Sendable, Equatable {
    case string(String), number(Double), bool(Bool), null, array([RawJSON]), object([String: RawJSON])

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([RawJSON].self) {
            self = .array(a)
        } else { self = .object(try c.decode([String: RawJSON].self)) }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n): try c.encode(n)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The value as compact JSON text with sorted member names.
    package var jsonText: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: e.encode(self), as: UTF8.self)) ?? "null"
    }
}

package struct ClientCreateRequest: Codable, Sendable {
    package var identityId: String
    package var clientName: String?
    /// `private_key_jwt`, `tls_client_auth` or `self_signed_tls_client_auth`.
    package var tokenEndpointAuthMethod: String
    /// RFC 7591 `jwks`: `{"keys": [...]}`, public keys only.
    package var jwks: RawJSON?
    package var jwksUri: String?
    package var tlsClientAuthSubjectDn: String?
    package var tlsClientAuthSanDns: String?
    /// RFC 8705 §7.4: base64url SHA-256 of the DER of the CA certificate (in the server's
    /// `--client-ca` bundle) that must be on the client certificate's verified path.
    package var tlsClientAuthCaThumbprint: String?
    /// Space-separated scopes (RFC 7591 §2), each within the identity's allowed scopes.
    package var scope: String
    package var environment: String?
    package var dpopBoundAccessTokens: Bool?
    package var tlsClientCertificateBoundAccessTokens: Bool?
    /// `workload_federation`: the external workload issuer this client trusts.
    package var workloadTrust: WorkloadTrustDTO?
    /// Refused when present: Keyward mints every client id (case 42).
    package var clientId: String?
    /// Refused when present: no shared client secrets.
    package var clientSecret: String?
    package init(identityId: String, clientName: String? = nil, tokenEndpointAuthMethod: String, jwks: RawJSON? = nil, jwksUri: String? = nil,
                 tlsClientAuthSubjectDn: String? = nil, tlsClientAuthSanDns: String? = nil, scope: String, environment: String? = nil,
                 dpopBoundAccessTokens: Bool? = nil, tlsClientCertificateBoundAccessTokens: Bool? = nil) {
        self.identityId = identityId
        self.clientName = clientName
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.jwks = jwks
        self.jwksUri = jwksUri
        self.tlsClientAuthSubjectDn = tlsClientAuthSubjectDn
        self.tlsClientAuthSanDns = tlsClientAuthSanDns
        self.scope = scope
        self.environment = environment
        self.dpopBoundAccessTokens = dpopBoundAccessTokens
        self.tlsClientCertificateBoundAccessTokens = tlsClientCertificateBoundAccessTokens
    }
}

/// A workload-federation trust (request and response): one issuer, its public keys (`jwks`, in a
/// request only: a response lists them as the client's `keys`), exactly one `subject`, the
/// `audience` the platform puts in its tokens, optional string `claims` that must match, and
/// whether each workload token may be exchanged once (`single_use`, default true).
package struct WorkloadTrustDTO: Codable, Sendable {
    package var issuer: String
    package var jwks: RawJSON?
    package var jwksUri: String?
    package var subject: String
    package var audience: String
    package var claims: [String: String]?
    package var singleUse: Bool?
    package init(issuer: String, jwks: RawJSON? = nil, jwksUri: String? = nil, subject: String, audience: String, claims: [String: String]? = nil,
                 singleUse: Bool? = nil) {
        self.issuer = issuer
        self.jwks = jwks
        self.jwksUri = jwksUri
        self.subject = subject
        self.audience = audience
        self.claims = claims
        self.singleUse = singleUse
    }
}

package struct ClientKeyDTO: Codable, Sendable {
    package var kid: String?
    package var alg: String?
    package var kty: String
    /// RFC 7638 SHA-256 thumbprint (base64url).
    package var thumbprint: String
    /// `self_signed_tls_client_auth`: the base64url SHA-256 of the key's certificate (its `x5t#S256`).
    package var certificateThumbprint: String?
    package init(kid: String?, alg: String?, kty: String, thumbprint: String, certificateThumbprint: String? = nil) {
        self.certificateThumbprint = certificateThumbprint
        self.kid = kid
        self.alg = alg
        self.kty = kty
        self.thumbprint = thumbprint
    }
}

package struct ClientResponse: Codable, Sendable {
    package var clientId: String
    package var identityId: String
    package var clientName: String?
    package var tokenEndpointAuthMethod: String
    package var keys: [ClientKeyDTO]
    package var scope: String
    package var environment: String
    package var dpopBoundAccessTokens: Bool
    package var tlsClientCertificateBoundAccessTokens: Bool
    /// `tls_client_auth` (RFC 8705 §2.1.2): the registered subject DN or dNSName SAN.
    package var tlsClientAuthSubjectDn: String?
    package var tlsClientAuthSanDns: String?
    package var workloadTrust: WorkloadTrustDTO?
    package var tlsClientAuthCaThumbprint: String?
    /// `private_key_jwt` keys published at this URL (`keys` then lists the set fetched at registration).
    package var jwksUri: String?
    package var status: String
    package var createdAt: Date
    package var revokedAt: Date?
    package var revokeReason: String?
    /// Access tokens issued to it that are still live (not expired, not revoked).
    package var liveTokens: Int?
    package init(clientId: String, identityId: String, clientName: String?, tokenEndpointAuthMethod: String, keys: [ClientKeyDTO], scope: String,
                 environment: String, dpopBoundAccessTokens: Bool, tlsClientCertificateBoundAccessTokens: Bool, status: String, createdAt: Date,
                 revokedAt: Date?, revokeReason: String?, liveTokens: Int?, tlsClientAuthSubjectDn: String? = nil, tlsClientAuthSanDns: String? = nil,
                 workloadTrust: WorkloadTrustDTO? = nil, tlsClientAuthCaThumbprint: String? = nil, jwksUri: String? = nil) {
        self.clientId = clientId
        self.workloadTrust = workloadTrust
        self.tlsClientAuthCaThumbprint = tlsClientAuthCaThumbprint
        self.jwksUri = jwksUri
        self.tlsClientAuthSubjectDn = tlsClientAuthSubjectDn
        self.tlsClientAuthSanDns = tlsClientAuthSanDns
        self.identityId = identityId
        self.clientName = clientName
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.keys = keys
        self.scope = scope
        self.environment = environment
        self.dpopBoundAccessTokens = dpopBoundAccessTokens
        self.tlsClientCertificateBoundAccessTokens = tlsClientCertificateBoundAccessTokens
        self.status = status
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.revokeReason = revokeReason
        self.liveTokens = liveTokens
    }
}

package struct ClientRevokeRequest: Codable, Sendable {
    package var reason: String?
    package init(reason: String?) { self.reason = reason }
}

package struct ClientRevokeResponse: Codable, Sendable {
    package var client: ClientResponse
    /// How many live access tokens died with it.
    package var tokensRevoked: Int
    package init(client: ClientResponse, tokensRevoked: Int) {
        self.client = client
        self.tokensRevoked = tokensRevoked
    }
}
