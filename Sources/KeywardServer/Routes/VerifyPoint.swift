import Foundation
import KeywardAPI
import KeywardCore
import KeywardOAuth
import KeywardVerify
import NIOCore

/// Where a presented credential is judged: an API key by `Verifier`, an access token by
/// `TokenVerifier`. Shared by `POST /v1/keys/verify` (its route and its fast path) and the
/// gateways' `/v1/authz`, so they cannot disagree on a result.
struct VerifyPoint: Sendable {
    let verifier: Verifier
    let tokens: TokenVerifier

    /// The outcome for a decoded request: ready, or a DPoP proof that must first be recorded in
    /// the shared store (on PostgreSQL). A bad request throws.
    enum Step {
        case ready(VerifyOutcome)
        case pending(PendingProof)
    }

    func step(_ body: VerifyRequest) throws -> Step {
        var required: [Scope] = []
        if let scopes = body.scopes {
            guard scopes.count <= 100 else { throw KeywardError(.validation, "scopes: at most 100") }
            for s in scopes {
                guard let scope = Scope(s) else { throw KeywardError(.validation, "scopes: each scope is 1 to 128 characters of letters, digits and _ . : / -") }
                required.append(scope)
            }
        }
        let source = body.source.map {
            VerifySource(ip: $0.ip, userAgent: $0.userAgent, clientCertSubject: $0.clientCertSubject, clientCertThumbprint: $0.clientCertThumbprint)
        }
        if TokenVerifier.isToken(body.key) {
            // The same freshness rule as keys: a node cut off from the change feed does not vouch.
            try verifier.requireVouching()
            for (name, value) in [("dpop", body.dpop), ("htm", body.htm), ("htu", body.htu), ("audience", body.audience)] {
                if let value, value.utf8.count > 8 * 1024 { throw KeywardError(.validation, "\(name): at most 8 KiB") }
            }
            switch tokens.check(body.key, required: required, presentation: TokenPresentation(
                dpopProof: body.dpop, method: body.htm, url: body.htu, certificateThumbprint: body.source?.clientCertThumbprint, audience: body.audience)) {
            case .done(let o): return .ready(o)
            case .pending(let p): return .pending(p)
            }
        }
        if body.dpop != nil || body.htm != nil || body.htu != nil || body.audience != nil {
            throw KeywardError(.validation, "dpop, htm, htu and audience apply to access tokens only")
        }
        return .ready(try verifier.verify(body.key, required: required, source: source))
    }

    /// The whole outcome, waiting for the shared store where a proof must be recorded.
    func outcome(_ body: VerifyRequest) async throws -> VerifyOutcome {
        switch try step(body) {
        case .ready(let o): return o
        case .pending(let p):
            do { return try await tokens.confirm(p) } catch {
                throw KeywardError(.unavailable, "the store is unavailable; retry")
            }
        }
    }
}
