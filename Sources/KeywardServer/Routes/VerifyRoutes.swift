import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardOAuth
import KeywardVerify
import NIOCore

/// `POST /v1/keys/verify`: 200 with `valid:false` and a reason for a bad key; 4xx only for a bad request.
struct VerifyRoutes {
    let verifier: Verifier
    let tokens: TokenVerifier
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let verifier = verifier, auth = auth, io = io, tokens = tokens
        table.add(.post, "/v1/keys/verify")
        router.post("/v1/keys/verify") { req, _ in
            _ = try auth.require(.verify, req)
            let body = try await io.decodeFast(VerifyRequest.self, from: req, fast: VerifyCodec.decode)
            let out: ByteBuffer
            switch try Self.answer(body, verifier: verifier, tokens: tokens) {
            case .ready(let b): out = b
            case .pending(let p):
                do { out = Self.encode(try await tokens.confirm(p)) } catch {
                    throw KeywardError(.unavailable, "the store is unavailable; retry")
                }
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: out))
        }
    }

    /// A verify answer: ready, or a DPoP proof that must first be recorded in the shared store
    /// (on PostgreSQL; the fast path then hands the request to the router, which waits for it).
    enum Answer {
        case ready(ByteBuffer)
        case pending(PendingProof)
    }

    /// The verify answer for a decoded request body (shared with `VerifyFastPath`); a bad
    /// request throws.
    static func answer(_ body: VerifyRequest, verifier: Verifier, tokens: TokenVerifier) throws -> Answer {
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
        let outcome: VerifyOutcome
        if TokenVerifier.isToken(body.key) {
            // The same freshness rule as keys: a node cut off from the change feed does not vouch.
            try verifier.requireVouching()
            for (name, value) in [("dpop", body.dpop), ("htm", body.htm), ("htu", body.htu), ("audience", body.audience)] {
                if let value, value.utf8.count > 8 * 1024 { throw KeywardError(.validation, "\(name): at most 8 KiB") }
            }
            switch tokens.check(body.key, required: required, presentation: TokenPresentation(
                dpopProof: body.dpop, method: body.htm, url: body.htu, certificateThumbprint: body.source?.clientCertThumbprint, audience: body.audience)) {
            case .done(let o): outcome = o
            case .pending(let p): return .pending(p)
            }
        } else {
            if body.dpop != nil || body.htm != nil || body.htu != nil || body.audience != nil {
                throw KeywardError(.validation, "dpop, htm, htu and audience apply to access tokens only")
            }
            outcome = try verifier.verify(body.key, required: required, source: source)
        }
        return .ready(encode(outcome))
    }

    static func encode(_ outcome: VerifyOutcome) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(256)
        VerifyCodec.encode(VerifyResponse(outcome), into: &out)
        return out
    }
}
