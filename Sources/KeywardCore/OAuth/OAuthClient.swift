import Foundation

/// An OAuth client (`cli_…`). Keyward mints every client id itself, so no client can choose an
/// id shaped like a person's `sub` or a reserved name (case 42 of docs/security-cases.md).
package struct OAuthClientID: TypedID {
    package static let prefix = "cli"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}

/// How a client proves who it is at the token endpoint. No shared secrets: a client holds a
/// private key (RFC 7523) or a TLS client certificate (RFC 8705).
package enum ClientAuthMethod: String, Sendable, CaseIterable, Codable {
    case privateKeyJWT = "private_key_jwt"
    case tlsClientAuth = "tls_client_auth"
    case selfSignedTLSClientAuth = "self_signed_tls_client_auth"
    /// Secretless: the client presents a token its own platform issued (a Kubernetes
    /// service-account token, a CI provider's OIDC token, a SPIFFE JWT-SVID), checked against the
    /// client's `WorkloadTrustSpec` (RFC 7523 §2.1 grant or §2.2 assertion).
    case workloadFederation = "workload_federation"
}

/// A client's trust in an external workload issuer, as registered: one issuer, exactly one subject,
/// the audience the platform must put in its tokens, and optional string-claim conditions. The
/// issuer's public keys are the client's `publicKeys` (so a leaked issuer key is matched to every
/// client that trusts it), registered inline or fetched from `jwksURI` under the server's allow-list.
package struct WorkloadTrustSpec: Sendable, Equatable, Codable {
    package var issuer: String
    package var jwksURI: String?
    package var subject: String
    package var audience: String
    package var claims: [String: String]
    /// Each workload token may be exchanged once (by its `jti`, or its digest when it has none).
    /// Off for platforms that hand a workload one token for an hour (Kubernetes projected tokens).
    package var singleUse: Bool

    package init(issuer: String, jwksURI: String?, subject: String, audience: String, claims: [String: String], singleUse: Bool) {
        self.issuer = issuer
        self.jwksURI = jwksURI
        self.subject = subject
        self.audience = audience
        self.claims = claims
        self.singleUse = singleUse
    }
}

package enum ClientStatus: String, Sendable, Codable {
    case active, revoked
}

/// A registered client: an identity's way to get short-lived tokens. Its public keys are kept
/// as validated public JWK JSON and their RFC 7638 thumbprints (what a leaked private key is
/// matched by).
package struct OAuthClient: Sendable, Equatable {
    package var id: OAuthClientID
    package var identityID: IdentityID
    package var name: String?
    package var authMethod: ClientAuthMethod
    /// The public JWK JSON texts (`private_key_jwt`), each validated at registration.
    package var publicKeys: [String]
    /// RFC 7638 thumbprints of `publicKeys`, in the same order.
    package var keyThumbprints: [String]
    package var scopes: [Scope]
    package var environment: KeyEnvironment
    package var dpopBoundTokens: Bool
    package var certificateBoundTokens: Bool
    /// `tls_client_auth` (RFC 8705 §2.1.2): the registered subject DN or dNSName SAN, as registered.
    package var tlsSubjectDN: String?
    package var tlsSANDNS: String?
    /// `private_key_jwt` (or `self_signed_tls_client_auth`) keys published at this URL instead of
    /// inline; `publicKeys` then holds the set fetched at registration.
    package var jwksURI: String?
    /// RFC 8705 §7.4: base64url SHA-256 of the DER of the CA certificate that must have issued a
    /// `tls_client_auth` client's certificate (nil: any configured client CA).
    package var tlsCAThumbprint: String?
    /// `workload_federation`: the external issuer this client trusts.
    package var workloadTrust: WorkloadTrustSpec?
    package var status: ClientStatus
    package var createdAt: Date
    package var updatedAt: Date
    package var revokedAt: Date?
    package var revokeReason: String?

    package init(id: OAuthClientID, identityID: IdentityID, name: String?, authMethod: ClientAuthMethod, publicKeys: [String],
                 keyThumbprints: [String], scopes: [Scope], environment: KeyEnvironment, dpopBoundTokens: Bool,
                 certificateBoundTokens: Bool, status: ClientStatus = .active, createdAt: Date, updatedAt: Date,
                 revokedAt: Date? = nil, revokeReason: String? = nil, tlsSubjectDN: String? = nil, tlsSANDNS: String? = nil,
                 jwksURI: String? = nil, tlsCAThumbprint: String? = nil, workloadTrust: WorkloadTrustSpec? = nil) {
        self.id = id
        self.jwksURI = jwksURI
        self.tlsCAThumbprint = tlsCAThumbprint
        self.workloadTrust = workloadTrust
        self.tlsSubjectDN = tlsSubjectDN
        self.tlsSANDNS = tlsSANDNS
        self.identityID = identityID
        self.name = name
        self.authMethod = authMethod
        self.publicKeys = publicKeys
        self.keyThumbprints = keyThumbprints
        self.scopes = scopes
        self.environment = environment
        self.dpopBoundTokens = dpopBoundTokens
        self.certificateBoundTokens = certificateBoundTokens
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revokedAt = revokedAt
        self.revokeReason = revokeReason
    }
}

/// An issued access token's `jti` (`atk_…`): random, so a token's id says nothing about it.
package struct AccessTokenID: TypedID {
    package static let prefix = "atk"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}

/// What the store keeps of an issued access token: never the token, only its id, its holder,
/// its lifetime and the SHA-256 of its text (what a leak report of the token is matched by).
package struct AccessTokenRecord: Sendable, Equatable {
    package var id: AccessTokenID
    package var clientID: OAuthClientID
    package var identityID: IdentityID
    package var scopes: [Scope]
    package var digest: SecretDigest
    /// `jkt:<thumbprint>` or `x5t#S256:<thumbprint>`; nil for a bearer token.
    package var binding: String?
    package var issuedAt: Date
    package var expiresAt: Date
    package var revokedAt: Date?
    package var revokeReason: String?

    package init(id: AccessTokenID, clientID: OAuthClientID, identityID: IdentityID, scopes: [Scope], digest: SecretDigest,
                 binding: String?, issuedAt: Date, expiresAt: Date, revokedAt: Date? = nil, revokeReason: String? = nil) {
        self.id = id
        self.clientID = clientID
        self.identityID = identityID
        self.scopes = scopes
        self.digest = digest
        self.binding = binding
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokeReason = revokeReason
    }
}

/// One of the authorization server's token-signing keys, as stored: the private key sealed
/// (bound to its kid), published in the JWKS until `publishUntil` once retired.
package struct SigningKeyRecord: Sendable, Equatable {
    package var kid: String
    package var sealedPrivateKey: String
    package var createdAt: Date
    /// When it stopped signing; nil for the current key.
    package var retiredAt: Date?
    /// Until when it stays in the JWKS (the last token it signed expires then).
    package var publishUntil: Date?

    package init(kid: String, sealedPrivateKey: String, createdAt: Date, retiredAt: Date? = nil, publishUntil: Date? = nil) {
        self.kid = kid
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
        self.retiredAt = retiredAt
        self.publishUntil = publishUntil
    }
}
