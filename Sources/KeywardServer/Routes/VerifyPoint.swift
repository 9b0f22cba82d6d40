import Foundation
import KeywardAPI
import KeywardCore
import KeywardOAuth
import KeywardVerify
import NIOCore

/// Where a presented credential is judged: an API key by `Verifier`, an access token by
/// `TokenVerifier`. Shared by `POST /v1/keys/verify` (its route and its fast path) and the
/// gateways' `/v1/authz`, so they cannot disagree on a result. Every answer passes the rate
/// limits (`Limits`) before it is counted and recorded: usage sees what the caller was told.
struct VerifyPoint: Sendable {
    let verifier: Verifier
    let tokens: TokenVerifier
    let limits: Limits
    let detection: DetectionEngine

    /// The outcome for a decoded request: ready, or waiting for the shared store — a DPoP proof
    /// that must first be recorded (on PostgreSQL), or limits a shared limit store decides. A bad
    /// request throws.
    enum Step {
        case ready(VerifyOutcome)
        case pending(PendingProof, Judged)
        case limit(VerifyOutcome, [LimitCharge], Judged)
    }

    /// What is needed to finish a request after the store answered.
    struct Judged: Sendable {
        var required: [Scope]
        var source: VerifySource?
        var started: ContinuousClock.Instant
        /// What was presented, for the detectors' distinct-key count (hashed only when unknown).
        var presented: String
    }

    func step(_ body: VerifyRequest) throws -> Step {
        let started = ContinuousClock.now
        var required: [Scope] = []
        if let scopes = body.scopes {
            guard scopes.count <= 100 else { throw KeywardError(.validation, "scopes: at most 100") }
            for s in scopes {
                guard let scope = Scope(s) else { throw KeywardError(.validation, "scopes: each scope is 1 to 128 characters of letters, digits and _ . : / -") }
                required.append(scope)
            }
        }
        let source = body.source.map {
            VerifySource(ip: $0.ip, userAgent: $0.userAgent, clientCertSubject: $0.clientCertSubject, clientCertThumbprint: $0.clientCertThumbprint,
                         method: $0.method, path: $0.path)
        }
        if detection.isBlocked(source?.ip, at: verifier.clock.now().unixMillis) {
            // Refused before anything is judged or charged: a blocked source learns nothing.
            return .ready(finish(.invalid(.sourceBlocked), Judged(required: required, source: source, started: started, presented: ""), observe: false))
        }
        if TokenVerifier.isToken(body.key) {
            // The same freshness rule as keys: a node cut off from the change feed does not vouch.
            try verifier.requireVouching()
            for (name, value) in [("dpop", body.dpop), ("htm", body.htm), ("htu", body.htu), ("audience", body.audience)] {
                if let value, value.utf8.count > 8 * 1024 { throw KeywardError(.validation, "\(name): at most 8 KiB") }
            }
            let judged = Judged(required: required, source: source, started: started, presented: body.key)
            switch tokens.check(body.key, required: required, presentation: TokenPresentation(
                dpopProof: body.dpop, method: body.htm, url: body.htu, certificateThumbprint: body.source?.clientCertThumbprint, audience: body.audience)) {
            case .done(let o): return limited(o, judged)
            case .pending(let p): return .pending(p, judged)
            }
        }
        if body.dpop != nil || body.htm != nil || body.htu != nil || body.audience != nil {
            throw KeywardError(.validation, "dpop, htm, htu and audience apply to access tokens only")
        }
        let o = try verifier.verify(body.key, required: required, source: source, recordUsage: false)
        return limited(o, Judged(required: required, source: source, started: started, presented: body.key))
    }

    /// Applies the limits this node decides alone; a shared store's decision waits (`.limit`).
    private func limited(_ outcome: VerifyOutcome, _ judged: Judged) -> Step {
        var o = outcome
        if o.keyID == nil, let id = o.identityID { o.identityLimit = verifier.index.identityLimit(id) }
        let charges = limits.charges(for: o, sourceIP: judged.source?.ip)
        if charges.isEmpty { return .ready(finish(o, judged)) }
        guard let verdict = limits.decideLocally(charges) else { return .limit(o, charges, judged) }
        return .ready(finish(limits.apply(verdict, to: o), judged))
    }

    private func finish(_ o: VerifyOutcome, _ judged: Judged, observe: Bool = true) -> VerifyOutcome {
        verifier.record(o, required: judged.required, source: judged.source, since: judged.started)
        if observe, o.reason != .rateLimited {
            let s = judged.source
            let unknown = o.reason == .notFound || o.reason == .malformed
            let path = s?.path.map { p in p.firstIndex(of: "?").map { p[..<$0] } ?? Substring(p) }
            detection.observe(Observation(
                at: verifier.clock.now().unixMillis, reason: o.reason, keyID: o.keyID, clientID: o.clientID, version: o.version, identityID: o.identityID,
                environment: o.environment, ip: s?.ip, userAgent: s?.userAgent, certSubject: s?.clientCertSubject, path: path, required: judged.required,
                presentedHash: unknown ? judged.presented.hashValue : 0),
                subject: o.keyID.map(WatchSubject.key) ?? o.clientID.map(WatchSubject.client))
        }
        return o
    }

    /// The whole outcome, waiting for the shared store where a proof must be recorded or a shared
    /// limit store decides.
    func outcome(_ body: VerifyRequest) async throws -> VerifyOutcome {
        try await settle(try step(body))
    }

    private func settle(_ step: Step) async throws -> VerifyOutcome {
        switch step {
        case .ready(let o):
            return o
        case .limit(let o, let charges, let judged):
            return finish(limits.apply(try await limits.decide(charges), to: o), judged)
        case .pending(let p, let judged):
            let o: VerifyOutcome
            do { o = try await tokens.confirm(p) } catch {
                throw KeywardError(.unavailable, "the store is unavailable; retry")
            }
            return try await settle(limited(o, judged))
        }
    }
}
