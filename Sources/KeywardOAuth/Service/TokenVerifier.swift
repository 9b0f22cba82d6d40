import Crypto
import Foundation
import KeywardCore
import KeywardStore
import KeywardVerify
import Synchronization

/// What a resource server passes with a bound token: the DPoP proof it received with the
/// request and that request's method and URL, or the TLS client certificate's thumbprint.
package struct TokenPresentation: Sendable {
    package var dpopProof: String?
    package var method: String?
    package var url: String?
    package var certificateThumbprint: String?
    package var audience: String?
    package init(dpopProof: String? = nil, method: String? = nil, url: String? = nil, certificateThumbprint: String? = nil, audience: String? = nil) {
        self.dpopProof = dpopProof
        self.method = method
        self.url = url
        self.certificateThumbprint = certificateThumbprint
        self.audience = audience
    }
}

/// A verify answer that still needs the shared store: the DPoP proof's first use, recorded where
/// every node sees it (`TokenVerifier.confirm`).
package struct PendingProof: Sendable {
    let outcome: VerifyOutcome
    let replay: ReplayEntry
}

/// The result of checking a token without waiting: the answer, or the proof to record first.
package enum TokenCheck: Sendable {
    case done(VerifyOutcome)
    case pending(PendingProof)
}

/// Verify for access tokens: the same closed reasons as for keys. A token's signature and claims
/// are checked fully once and then cached by its SHA-256, so later calls cost a hash, a table
/// lookup and the revocation check (plus the proof, for a DPoP-bound token, every time).
package final class TokenVerifier: Sendable {
    private let server: AuthorizationServer
    private let cache = Mutex([SecretDigest: AccessTokenClaims]())
    /// Proofs seen at verify on this node, so the same proof is not accepted twice (RFC 9449 §11.1).
    private let seenProofs = Mutex(SeenProofs())
    /// The proofs' replay keys until their window closes, pruned when the table doubles.
    private struct SeenProofs {
        var until: [String: Date] = [:]
        /// Prune when the table reaches this size: twice what stayed after the last prune (at
        /// least `pruneFloor`), so pruning costs O(1) a proof however many are live.
        var pruneAt = TokenVerifier.pruneFloor
    }
    static let pruneFloor = 50_000
    /// DPoP proof keys by header: one key import per client key, not per proof.
    private let dpopKeys = DPoPKeyCache()
    /// When several nodes share the store (PostgreSQL), a proof's first use is also recorded there,
    /// so a proof replayed at another node is refused too; on SQLite (one node) memory suffices.
    private let sharedReplay: Bool
    static let cacheLimit = 100_000

    package init(server: AuthorizationServer) {
        self.server = server
        sharedReplay = server.store.isPostgres
    }

    /// Whether `text` should be verified as an access token rather than as a key.
    package static func isToken(_ text: String) -> Bool { AccessToken.looksLikeAccessToken(text) }

    /// The whole check, recording a DPoP proof in the shared store when there is one.
    package func verify(_ token: String, required: [Scope], presentation: TokenPresentation) async throws -> VerifyOutcome {
        switch check(token, required: required, presentation: presentation) {
        case .done(let o): return o
        case .pending(let p): return try await confirm(p)
        }
    }

    /// Records a valid answer's DPoP proof in the shared store (in the token endpoint's group
    /// commit, under the same `dpop:<jkt>` scope): a proof another node already took answers
    /// `binding_mismatch`. A store failure throws (verify answers 503, never a false valid).
    package func confirm(_ p: PendingProof) async throws -> VerifyOutcome {
        let r = p.replay
        switch try await server.batcher.record(IssuanceBatcher.Item(assertion: nil, proof: (r.scope, r.jti, r.until), token: nil)) {
        case .recorded: return p.outcome
        case .assertionReplayed, .proofReplayed:
            var o = p.outcome
            o.reason = .bindingMismatch
            o.scopes = nil
            return o
        }
    }

    /// Everything that needs no wait: signature (cached by digest), expiry, revocation, audience,
    /// binding, scopes. A valid DPoP-bound answer on a shared store is `.pending` until `confirm`.
    package func check(_ token: String, required: [Scope], presentation: TokenPresentation) -> TokenCheck {
        var replay: ReplayEntry?
        let outcome = check(token, required: required, presentation: presentation, replay: &replay)
        if let replay, sharedReplay, outcome.reason == nil { return .pending(PendingProof(outcome: outcome, replay: replay)) }
        return .done(outcome)
    }

    private func check(_ token: String, required: [Scope], presentation: TokenPresentation, replay: inout ReplayEntry?) -> VerifyOutcome {
        let now = server.store.clock.now()
        let digest = SecretDigest(hashing: token.utf8)
        var claims = cache.withLock { $0[digest] }
        if claims == nil {
            guard token.utf8.count <= 8 * 1024 else { return .invalid(.malformed) }
            do {
                claims = try AccessToken.verify(token, publicKey: { self.server.signingKeys.publicKey($0, now: now) }, now: now)
            } catch {
                if error.reason.contains("expired") { return .invalid(.expired) }
                if error == .unknownKeyID { Task { await self.server.signingKeys.reloadForUnknownKid() } }
                return .invalid(.malformed)
            }
            if let c = claims {
                cache.withLock { c2 in
                    if c2.count >= Self.cacheLimit { c2.removeAll(keepingCapacity: true) }
                    c2[digest] = c
                }
            }
        }
        guard let claims, let jti = AccessTokenID(claims.jti), let clientID = OAuthClientID(claims.clientID) else { return .invalid(.malformed) }
        var out = VerifyOutcome(reason: nil, keyID: nil, version: nil, identityID: server.clients.client(clientID)?.client.identityID,
                                scopes: nil, expiresAt: claims.expiresAt)
        out.clientID = clientID
        out.tokenID = jti
        func fail(_ r: VerifyReason) -> VerifyOutcome {
            var o = out
            o.reason = r
            return o
        }
        if claims.expiresAt <= now { return fail(.expired) }
        if server.clients.isRevoked(token: jti, client: clientID) { return fail(.revoked) }
        // case 41: a token for another resource server is not valid here.
        if claims.audience != (presentation.audience ?? server.settings.defaultAudience) { return fail(.wrongAudience) }
        switch claims.confirmation {
        case .jkt(let jkt)?:
            // case 36: a DPoP-bound token without its proof is not valid.
            guard let proof = presentation.dpopProof, let method = presentation.method, let url = presentation.url,
                  let p = try? DPoPProof.validate(headerValues: [proof], method: method, expectedURI: url, accessToken: token,
                                                  now: now, clockSkew: server.settings.clockSkew, keyCache: dpopKeys),
                  ConstantTime.equal(Array(p.jkt.utf8), Array(jkt.utf8)) else { return fail(.bindingMismatch) }
            // case 34 at the resource server: with nonces required, a proof needs a current one.
            if server.settings.requireDPoPNonce, !(p.nonce.map { server.nonces.isValid($0, now: now) } ?? false) {
                var o = fail(.dpopNonceRequired)
                o.dpopNonce = server.nonces.current(now: now)
                return o
            }
            let until = p.issuedAt.addingTimeInterval(2 * OAuthSettings.seconds(server.settings.clockSkew))
            guard firstUse(jkt: p.jkt, jti: p.jti, until: until, now: now) else { return fail(.bindingMismatch) }
            replay = ReplayEntry(scope: "dpop:" + p.jkt, jti: p.jti, until: until)
        case .x5tS256(let thumbprint)?:
            // case 27: a certificate-bound token over another connection (or none).
            guard let presented = presentation.certificateThumbprint,
                  ConstantTime.equal(Array(presented.utf8), Array(thumbprint.utf8)) else { return fail(.bindingMismatch) }
        case nil:
            break
        }
        let held = claims.scope.compactMap(Scope.init)
        for s in required where !held.contains(s) { return fail(.insufficientScope) }
        out.scopes = held
        return out
    }

    private func firstUse(jkt: String, jti: String, until: Date, now: Date) -> Bool {
        seenProofs.withLock { seen in
            if seen.until.count >= seen.pruneAt {
                // Before: every proof past 50,000 live ones filtered the whole table again.
                seen.until = seen.until.filter { $0.value > now }
                seen.pruneAt = max(Self.pruneFloor, 2 * seen.until.count)
            }
            let k = jkt + " " + jti
            if let u = seen.until[k], u > now { return false }
            seen.until[k] = until
            return true
        }
    }
}
