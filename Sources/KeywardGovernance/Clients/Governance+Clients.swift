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
    /// `tls_client_auth_ca_thumbprint`: base64url SHA-256 of the CA certificate its certificates
    /// must be issued through (RFC 8705 §7.4); set after init, nil by default.
    package var tlsCAThumbprint: String?
    /// Space-separated, as RFC 7591 sends it.
    package var scope: String
    package var environment: String?
    package var dpopBound: Bool
    package var certificateBound: Bool
    /// `workload_federation`: the external issuer the client trusts.
    package var workloadTrust: NewWorkloadTrust?
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

/// A workload trust as a caller sends it (`workload_trust` of a registration).
package struct NewWorkloadTrust: Sendable {
    package var issuer: String
    /// The issuer's public keys as JSON text (`{"keys":[…]}`); nil when `jwksURI` is given.
    package var jwksJSON: String?
    package var jwksURI: String?
    package var subject: String
    package var audience: String
    package var claims: [String: String]
    package var singleUse: Bool

    package init(issuer: String, jwksJSON: String?, jwksURI: String?, subject: String, audience: String, claims: [String: String], singleUse: Bool) {
        self.issuer = issuer
        self.jwksJSON = jwksJSON
        self.jwksURI = jwksURI
        self.subject = subject
        self.audience = audience
        self.claims = claims
        self.singleUse = singleUse
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
            throw KeywardError(.validation, "token_endpoint_auth_method: one of private_key_jwt, tls_client_auth, self_signed_tls_client_auth, workload_federation")
        }
        if method != .workloadFederation, n.workloadTrust != nil {
            throw KeywardError(.validation, "workload_trust belongs to token_endpoint_auth_method workload_federation")
        }
        var keys = try Self.clientKeys(n, method: method)
        if method == .privateKeyJWT, let uri = n.jwksURI { keys = try await remoteClientKeys(uri) }
        if method == .workloadFederation, let uri = n.workloadTrust?.jwksURI { keys = try await remoteClientKeys(uri, field: "workload_trust.jwks_uri") }
        let trust = method == .workloadFederation ? n.workloadTrust.map {
            WorkloadTrustSpec(issuer: $0.issuer, jwksURI: $0.jwksURI, subject: $0.subject, audience: $0.audience, claims: $0.claims, singleUse: $0.singleUse)
        } : nil
        try Self.checkCertificates(n, method: method, keys: keys, now: store.clock.now())
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
                                     jwksURI: method == .privateKeyJWT ? n.jwksURI : nil, tlsCAThumbprint: method == .tlsClientAuth ? n.tlsCAThumbprint : nil,
                                     workloadTrust: trust)
            try await self.store.insertClient(client, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: .clientRegistered, target: client.id.description, details: [
                "identity_id": identity.id.description, "auth_method": method.rawValue, "scopes": scopes.map(\.value).joined(separator: " "),
                "environment": environment.rawValue, "key_thumbprints": client.keyThumbprints.joined(separator: " "),
                "dpop_bound": String(n.dpopBound), "certificate_bound": String(n.certificateBound),
            ].merging(["tls_client_auth_subject_dn": client.tlsSubjectDN, "tls_client_auth_san_dns": client.tlsSANDNS,
                       "trust_issuer": trust?.issuer, "trust_subject": trust?.subject, "trust_audience": trust?.audience,
                       "trust_single_use": trust.map { String($0.singleUse) }, "jwks_uri": client.jwksURI].compactMapValues { $0 }) { a, _ in a }))
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
            // RFC 8705 §2.2: the certificates come inline, each in its key's x5c (a jwks_uri would
            // let whoever serves it add certificates later); validity is checked by checkCertificates.
            guard n.jwksURI == nil, n.tlsSubjectDN == nil, n.tlsSANDNS == nil else {
                throw KeywardError(.validation, "self_signed_tls_client_auth takes its certificates inline as jwks keys with x5c, and no jwks_uri, subject DN or SAN")
            }
            guard let jwks = n.jwksJSON else {
                throw KeywardError(.validation, "jwks: self_signed_tls_client_auth needs the client's certificates as jwks keys with x5c")
            }
            do { return try SelfSignedClientCertificates.validate(jwksJSON: jwks) } catch {
                throw KeywardError(.validation, "jwks: \(error.reason)")
            }
        case .workloadFederation:
            guard n.jwksJSON == nil, n.jwksURI == nil, n.tlsSubjectDN == nil, n.tlsSANDNS == nil else {
                throw KeywardError(.validation, "jwks: a workload_federation client holds no keys of its own; give the issuer's keys in workload_trust")
            }
            guard let t = n.workloadTrust else {
                throw KeywardError(.validation, "workload_trust: workload_federation needs {issuer, jwks, subject, audience}")
            }
            if t.jwksURI != nil {
                guard t.jwksJSON == nil else { throw KeywardError(.validation, "workload_trust: give the issuer's keys as jwks or jwks_uri, not both") }
                do { try WorkloadTrust.checkTerms(issuer: t.issuer, subject: t.subject, audience: t.audience, claims: t.claims) } catch {
                    throw KeywardError(.validation, "workload_trust: \(error.reason)")
                }
                return [] // fetched by registerClient
            }
            guard let jwks = t.jwksJSON else { throw KeywardError(.validation, "workload_trust.jwks: the issuer's public keys (jwks or jwks_uri) are required") }
            guard jwks.utf8.count <= 64 * 1024 else { throw KeywardError(.validation, "workload_trust.jwks: at most 64 KiB") }
            do {
                return try WorkloadTrust.validated(issuer: t.issuer, jwksJSON: jwks, subject: t.subject, audience: t.audience, claims: t.claims).keys
            } catch {
                throw KeywardError(.validation, "workload_trust: \(error.reason)")
            }
        }
    }

    /// The certificate members of a registration at `now`: a `self_signed_tls_client_auth`
    /// client's certificates are valid now, and a CA pin (RFC 8705 §7.4) belongs to
    /// `tls_client_auth` and is a base64url SHA-256 (43 characters).
    private static func checkCertificates(_ n: NewClient, method: ClientAuthMethod, keys: [PublicJWK], now: Date) throws {
        if method == .selfSignedTLSClientAuth, let why = SelfSignedClientCertificates.refusal(storedKeys: keys.map(\.publicJSON), now: now) {
            throw KeywardError(.validation, "jwks: \(why)")
        }
        guard let pin = n.tlsCAThumbprint else { return }
        guard method == .tlsClientAuth else { throw KeywardError(.validation, "tls_client_auth_ca_thumbprint belongs to tls_client_auth") }
        guard pin.utf8.count == 43, Base64URL.decode(pin)?.count == 32 else {
            throw KeywardError(.validation, "tls_client_auth_ca_thumbprint: the base64url SHA-256 of the CA certificate's DER (43 characters)")
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
