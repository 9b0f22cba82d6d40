import Foundation
import KeywardCore
import KeywardStore

/// What introspection learnt of a token (RFC 7662 §2.2): active with its claims, or not.
package struct Introspection: Sendable {
    package var claims: AccessTokenClaims?
    package var active: Bool { claims != nil }
    package static let inactive = Introspection(claims: nil)
}

extension AuthorizationServer {
    /// Checks a token as a resource server would: signature by a published key, not expired,
    /// neither it nor its client revoked, issued for `audience` (default: the default
    /// audience). Expired, revoked, unknown and other-audience tokens all come back inactive
    /// with nothing else (case 44).
    package func introspect(_ token: String, audience: String?) async -> Introspection {
        guard let claims = await verifiedClaims(token) else { return .inactive }
        guard let jti = AccessTokenID(claims.jti), let client = OAuthClientID(claims.clientID),
              !clients.isRevoked(token: jti, client: client),
              claims.audience == (audience ?? settings.defaultAudience) else { return .inactive }
        return Introspection(claims: claims)
    }

    /// The claims of a token this server signed and that has not expired; a kid this node does
    /// not know makes it reload the signing keys once (another node may have rotated).
    func verifiedClaims(_ token: String) async -> AccessTokenClaims? {
        guard token.utf8.count <= 8 * 1024 else { return nil }
        let now = self.now
        if let c = try? AccessToken.verify(token, publicKey: { self.signingKeys.publicKey($0, now: now) }, now: now) { return c }
        await signingKeys.reloadForUnknownKid()
        return try? AccessToken.verify(token, publicKey: { self.signingKeys.publicKey($0, now: now) }, now: now)
    }

    /// RFC 7009 revocation by the client that holds the token. A token that is not this client's,
    /// unknown, expired or garbage is answered like a success and changes nothing (§2.2, case 47).
    /// `token_type_hint` is only a hint (case 48). A store failure is a 503 (case 49).
    package func revoke(_ form: FormBody, hasBasicAuth: Bool, certificate: PresentedCertificate? = nil) async throws(OAuthFailure) {
        let now = self.now
        let client = try await authenticate(form, hasBasicAuth: hasBasicAuth, certificate: certificate, endpoint: settings.revocationEndpoint, now: now)
        guard let token = try field(form, "token") else { throw OAuthFailure(.invalidRequest, "token is required") }
        _ = try field(form, "token_type_hint")
        let skew = OAuthSettings.seconds(settings.clockSkew)
        let replayed: Bool
        do {
            replayed = try await store.write { tx in
                guard let replay = client.replay else { return false }
                return !(try await self.store.recordOnce(scope: replay.scope, jti: replay.jti, expiresAt: replay.until, in: tx))
            }
        } catch {
            throw Self.unavailable(error)
        }
        if replayed { throw OAuthFailure(.invalidClient, "the client assertion was already used (jti replay)") }
        guard let claims = await verifiedClaims(token), claims.clientID == client.entry.client.id.description,
              let jti = AccessTokenID(claims.jti) else { return }
        try await revokeToken(jti, reason: "revoked by its client", actor: client.entry.client.id.description)
    }

    /// Revokes one token by its id (the client's own RFC 7009 call, or an admin's).
    /// Returns false when no such token is recorded.
    @discardableResult
    package func revokeToken(_ id: AccessTokenID, reason: String, actor: String) async throws(OAuthFailure) -> Bool {
        do {
            return try await store.write { tx in
                guard let record = try await self.store.accessToken(id, in: tx.db) else { return false }
                guard record.revokedAt == nil else { return true }
                _ = try await self.store.revokeAccessToken(record, reason: reason, in: tx)
                tx.audit(AuditEntry(actor: actor, action: .tokenRevoked, target: id.description,
                                    details: ["client_id": record.clientID.description, "reason": reason]))
                return true
            }
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// RFC 7009 for an admin: any token this server signed, by its text.
    package func revokeAsAdmin(_ token: String, actor: String) async throws(OAuthFailure) {
        guard let claims = await verifiedClaims(token), let jti = AccessTokenID(claims.jti) else { return }
        try await revokeToken(jti, reason: "revoked by an admin", actor: actor)
    }
}
