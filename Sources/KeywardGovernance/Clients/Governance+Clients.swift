import Foundation
import KeywardCore
import KeywardOAuth
import KeywardStore

/// What a caller asks to register, already out of its wire form.
package struct NewClient: Sendable {
    package var identityID: String
    package var name: String?
    package var authMethod: String
    /// The `jwks` member as JSON text (`{"keys":[…]}`), nil when absent.
    package var jwksJSON: String?
    package var jwksURI: String?
    package var tlsSubjectDN: String?
    package var tlsSANDNS: String?
    /// Space-separated, as RFC 7591 sends it.
    package var scope: String
    package var environment: String?
    package var dpopBound: Bool
    package var certificateBound: Bool
    /// Members a caller may not set: `client_id` (Keyward mints it), `client_secret` (no shared secrets).
    package var refusedMembers: [String]

    package init(identityID: String, name: String?, authMethod: String, jwksJSON: String?, jwksURI: String?, tlsSubjectDN: String?,
                 tlsSANDNS: String?, scope: String, environment: String?, dpopBound: Bool, certificateBound: Bool, refusedMembers: [String]) {
        self.identityID = identityID
        self.name = name
        self.authMethod = authMethod
        self.jwksJSON = jwksJSON
        self.jwksURI = jwksURI
        self.tlsSubjectDN = tlsSubjectDN
        self.tlsSANDNS = tlsSANDNS
        self.scope = scope
        self.environment = environment
        self.dpopBound = dpopBound
        self.certificateBound = certificateBound
        self.refusedMembers = refusedMembers
    }
}

extension Governance {
    /// Registers an OAuth client for an identity under the same issuance policy as its keys
    /// (owner, purpose, allowed scopes, environment). A refusal by policy is audited.
    package func registerClient(_ n: NewClient, actor: Principal) async throws -> OAuthClient {
        if let m = n.refusedMembers.first {
            throw KeywardError(.validation, m == "client_id"
                ? "client_id: Keyward assigns client ids; leave it out"
                : "\(m): Keyward registers no shared client secrets; use private_key_jwt")
        }
        guard let identityID = IdentityID(n.identityID) else { throw KeywardError(.validation, "identity_id: expected an identity id (idn_…)") }
        try Validate.optionalText(n.name, field: "client_name", max: 200)
        if let name = n.name { try Validate.noCredential(name, field: "client_name") }
        guard let method = ClientAuthMethod(rawValue: n.authMethod) else {
            throw KeywardError(.validation, "token_endpoint_auth_method: one of private_key_jwt, tls_client_auth, self_signed_tls_client_auth")
        }
        var keys = try Self.clientKeys(n, method: method)
        if method == .privateKeyJWT, let uri = n.jwksURI { keys = try await remoteClientKeys(uri) }
        if n.dpopBound, n.certificateBound {
            throw KeywardError(.validation, "dpop_bound_access_tokens and tls_client_certificate_bound_access_tokens: a token carries one binding; choose one")
        }
        let rawScopes = n.scope.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard n.scope.utf8.count <= 4_096 else { throw KeywardError(.validation, "scope: at most 4096 characters") }
        let scopes = try Validate.scopes(rawScopes, field: "scope", allowReserved: false)
        let environment: KeyEnvironment
        if let e = n.environment {
            guard let env = KeyEnvironment(rawValue: e) else { throw KeywardError(.validation, "environment: live or test") }
            environment = env
        } else { environment = .live }
        let result: Result<OAuthClient, KeywardError> = try await store.write { tx in
            guard let identity = try await self.store.identity(identityID, in: tx.db) else { throw KeywardError.notFound("identity") }
            let request = IssuancePolicy.Request(scopes: scopes, environment: environment, lifetime: nil, nonExpiring: false, exceptionReason: nil)
            if case .deny(let rule, let message) = self.policy.decide(request, for: identity, now: tx.now) {
                tx.audit(AuditEntry(actor: actor.name, action: .keyRefused, target: identity.id.description,
                                    details: ["rule": rule, "kind": "oauth_client"]))
                return .failure(KeywardError(.policyDenied, message, rule: rule))
            }
            let client = OAuthClient(id: .random(), identityID: identity.id, name: n.name, authMethod: method,
                                     publicKeys: keys.map(\.publicJSON), keyThumbprints: keys.map(\.thumbprint), scopes: scopes,
                                     environment: environment, dpopBoundTokens: n.dpopBound, certificateBoundTokens: n.certificateBound,
                                     createdAt: tx.now, updatedAt: tx.now,
                                     tlsSubjectDN: method == .tlsClientAuth ? n.tlsSubjectDN : nil, tlsSANDNS: method == .tlsClientAuth ? n.tlsSANDNS : nil,
                                     jwksURI: method == .privateKeyJWT ? n.jwksURI : nil)
            try await self.store.insertClient(client, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .clientRegistered, target: client.id.description, details: [
                "identity_id": identity.id.description, "auth_method": method.rawValue, "scopes": scopes.map(\.value).joined(separator: " "),
                "environment": environment.rawValue, "key_thumbprints": client.keyThumbprints.joined(separator: " "),
                "dpop_bound": String(n.dpopBound), "certificate_bound": String(n.certificateBound),
            ].merging(["tls_client_auth_subject_dn": client.tlsSubjectDN, "tls_client_auth_san_dns": client.tlsSANDNS,
                       "jwks_uri": client.jwksURI].compactMapValues { $0 }) { a, _ in a }))
            return .success(client)
        }
        // The refusal's audit record is committed before the error is returned.
        return try result.get()
    }

    /// The validated public keys a registration carries (RFC 7591 `jwks`), by method.
    private static func clientKeys(_ n: NewClient, method: ClientAuthMethod) throws -> [PublicJWK] {
        switch method {
        case .privateKeyJWT:
            guard n.tlsSubjectDN == nil, n.tlsSANDNS == nil else {
                throw KeywardError(.validation, "tls_client_auth_subject_dn and tls_client_auth_san_dns belong to tls_client_auth")
            }
            if n.jwksURI != nil {
                // Fetched by remoteClientKeys once the rest of the request is known to be sound.
                guard n.jwksJSON == nil else { throw KeywardError(.validation, "jwks and jwks_uri: register the keys one way, not both") }
                return []
            }
            guard let jwks = n.jwksJSON else {
                throw KeywardError(.validation, "jwks: private_key_jwt needs the client's public keys as jwks, or a jwks_uri")
            }
            guard jwks.utf8.count <= 64 * 1024 else { throw KeywardError(.validation, "jwks: at most 64 KiB") }
            do {
                return try ClientKeyPolicy.validate(jwksJSON: jwks)
            } catch {
                throw KeywardError(.validation, "jwks: \(error.reason)")
            }
        case .tlsClientAuth:
            guard n.jwksJSON == nil, n.jwksURI == nil else {
                throw KeywardError(.validation, "jwks: tls_client_auth clients authenticate by their certificate; leave jwks and jwks_uri out")
            }
            // case 24: one way to name the certificate, never two.
            do { _ = try TLSClientAuthRule.parse(subjectDN: n.tlsSubjectDN, sanDNS: n.tlsSANDNS) } catch {
                throw KeywardError(.validation, error.reason)
            }
            return []
        case .selfSignedTLSClientAuth:
            // The handshake accepts only certificates that chain to --client-ca, so a self-signed
            // certificate never reaches the token endpoint (see README, "Mutual TLS").
            throw KeywardError(.validation, "token_endpoint_auth_method: self_signed_tls_client_auth is not supported in this version; use tls_client_auth or private_key_jwt")
        case .workloadFederation:
            throw KeywardError(.validation, "token_endpoint_auth_method: workload_federation is not supported in this version")
        }
    }

    /// Revokes a client and, in the same transaction, every token it holds. Returns the client
    /// as stored and how many live tokens died.
    package func revokeClient(_ id: OAuthClientID, reason: String?, actor: Principal) async throws -> (OAuthClient, Int) {
        try Validate.optionalText(reason, field: "reason", max: 500)
        return try await store.write { tx in
            guard let client = try await self.store.client(id, in: tx.db) else { throw KeywardError.notFound("client") }
            guard client.status == .active else { throw KeywardError(.conflict, "the client is already revoked") }
            let n = try await self.store.revokeClient(client, reason: reason ?? "revoked", in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .clientRevoked, target: id.description,
                                details: ["reason": reason ?? "", "tokens_revoked": String(n)]))
            return (try await self.store.client(id, in: tx.db) ?? client, n)
        }
    }

    /// Revokes every active client of an identity (its decommissioning), in the caller's transaction.
    func revokeClients(of identity: IdentityID, reason: String, actor: Principal, in tx: WriteTransaction) async throws -> Int {
        var tokens = 0
        for c in try await store.clients(of: identity, in: tx.db) where c.status == .active {
            let n = try await store.revokeClient(c, reason: reason, in: tx)
            tokens += n
            tx.audit(AuditEntry(actor: actor.name, action: .clientRevoked, target: c.id.description,
                                details: ["reason": reason, "tokens_revoked": String(n), "cascade_from": identity.description]))
        }
        return tokens
    }

    package func client(_ id: OAuthClientID) async throws -> (OAuthClient, liveTokens: Int) {
        try await store.read { db in
            guard let c = try await self.store.client(id, in: db) else { throw KeywardError.notFound("client") }
            return (c, try await self.store.liveTokenCount(of: id, in: db, now: self.store.clock.now()))
        }
    }

    package func listClients(identity: IdentityID?, limit: Int, after cursor: String?) async throws -> Page<OAuthClient> {
        try await store.listClients(identity: identity, limit: limit, after: cursor)
    }
}
