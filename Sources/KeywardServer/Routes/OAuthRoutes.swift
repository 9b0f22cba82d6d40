import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardStore
import KeywardVerify
import NIOCore

/// `/oauth/token`, `/oauth/introspect`, `/oauth/revoke` and the two `/.well-known` documents.
/// Errors here are RFC 6749 bodies (`{"error", "error_description"}`), never problem+json, and
/// carry no token, assertion or proof. Bodies are forms (RFC 6749 §4.4.2), at most 64 KiB.
struct OAuthRoutes {
    let server: AuthorizationServer
    let auth: Authenticator
    /// The server listens with TLS: only then can a connection carry a client certificate, and
    /// only then is it asked for one (a hop to the connection's event loop on every request).
    let tls: Bool
    let limits: Limits

    static let maxForm = 64 * 1024
    static let dpopField = HTTPField.Name("DPoP")!
    static let dpopNonceField = HTTPField.Name("DPoP-Nonce")!
    static let pragmaField = HTTPField.Name("Pragma")!

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let server = server, auth = auth, tls = tls, limits = limits
        table.add(.post, "/oauth/token")
        router.post("/oauth/token") { req, ctx in
            await Self.answer {
                let form = try await Self.form(req)
                return await Self.token(server, form: form, headers: req.headers, certificate: tls ? await ctx.clientCertificate() : nil,
                                        limits: limits, peer: ctx.remoteAddress).response
            }
        }
        table.add(.post, "/oauth/introspect")
        router.post("/oauth/introspect") { req, _ in
            // RFC 7662 §2.1: the caller is a resource server with a Keyward key holding keyward:verify.
            do { _ = try auth.require(.verify, req) } catch let e as KeywardError {
                switch e.code {
                case .forbidden: return Self.error(OAuthFailure(.invalidClient, "the key lacks the keyward:verify scope", status: 403))
                // A node whose index is stale cannot tell whether the caller's key is still valid.
                case .unavailable: return Self.error(OAuthFailure(.temporarilyUnavailable, "this node cannot vouch for keys now; retry", status: 503))
                default: return Self.error(OAuthFailure(.invalidClient, "authentication is required"))
                }
            }
            return await Self.answer {
                let form = try await Self.form(req)
                guard let token = try Self.single(form, "token") else { throw OAuthFailure(.invalidRequest, "token is required") }
                _ = try Self.single(form, "token_type_hint")
                let result = await server.introspect(token, audience: try Self.single(form, "resource"))
                guard let c = result.claims else { return try Self.json(IntrospectionResponse(active: false)) }
                let cnf: ConfirmationDTO? = switch c.confirmation {
                case .jkt(let t)?: ConfirmationDTO(jkt: t, x5tS256: nil)
                case .x5tS256(let t)?: ConfirmationDTO(jkt: nil, x5tS256: t)
                case nil: nil
                }
                return try Self.json(IntrospectionResponse(
                    active: true, scope: c.scope.joined(separator: " "), clientId: c.clientID, sub: c.subject, aud: c.audience, iss: c.issuer,
                    exp: Int(c.expiresAt.timeIntervalSince1970), iat: Int(c.issuedAt.timeIntervalSince1970), jti: c.jti,
                    tokenType: c.confirmation.map { if case .jkt = $0 { "DPoP" } else { "Bearer" } } ?? "Bearer", cnf: cnf))
            }
        }
        table.add(.post, "/oauth/revoke")
        router.post("/oauth/revoke") { req, ctx in
            await Self.answer {
                let form = try await Self.form(req)
                if let header = req.headers[.authorization], header.hasPrefix("Bearer ") {
                    // An admin's Keyward key may revoke any token this server issued.
                    guard let admin = try? auth.authorize(header, .admin) else { throw OAuthFailure(.invalidClient, "the bearer key may not revoke tokens") }
                    guard let token = try Self.single(form, "token") else { throw OAuthFailure(.invalidRequest, "token is required") }
                    try await server.revokeAsAdmin(token, actor: admin.name)
                } else {
                    try await server.revoke(form, hasBasicAuth: Self.hasBasic(req.headers), certificate: tls ? await ctx.clientCertificate() : nil)
                }
                // RFC 7009 §2.2: 200 and an empty body, whether or not the token was known.
                var r = Response(status: .ok)
                r.headers[.cacheControl] = "no-store"
                return r
            }
        }
        table.add(.get, "/.well-known/oauth-authorization-server")
        router.get("/.well-known/oauth-authorization-server") { _, _ in
            let s = server.settings
            let algs = JWSAlgorithm.allCases.map(\.rawValue)
            // RFC 8705 §2.1.1, §2.2.1, §3.3, §5: with client CAs tls_client_auth, with
            // --self-signed-client-certs self_signed_tls_client_auth, with either certificate-bound
            // tokens; every endpoint is served over the same mutual-TLS listener, so the aliases
            // are the endpoints themselves.
            let methods = ["private_key_jwt"] + (s.clientCAThumbprints.isEmpty ? [] : ["tls_client_auth"])
                + (s.selfSignedClientCertificates ? ["self_signed_tls_client_auth"] : [])
            let aliases = s.mutualTLS
                ? ["token_endpoint": s.tokenEndpoint, "introspection_endpoint": s.introspectionEndpoint, "revocation_endpoint": s.revocationEndpoint]
                : nil
            let meta = AuthorizationServerMetadata(
                issuer: s.issuer, tokenEndpoint: s.tokenEndpoint, jwksUri: s.jwksURI, introspectionEndpoint: s.introspectionEndpoint,
                revocationEndpoint: s.revocationEndpoint, grantTypesSupported: ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
                tokenEndpointAuthMethodsSupported: methods, tokenEndpointAuthSigningAlgValuesSupported: algs,
                introspectionEndpointAuthMethodsSupported: ["bearer"], revocationEndpointAuthMethodsSupported: methods,
                dpopSigningAlgValuesSupported: algs, tlsClientCertificateBoundAccessTokens: s.mutualTLS,
                mtlsEndpointAliases: aliases, scopesSupported: nil)
            var r = try Self.json(meta)
            r.headers[.cacheControl] = "public, max-age=300"
            return r
        }
        table.add(.get, "/.well-known/jwks.json")
        router.get("/.well-known/jwks.json") { _, _ in
            let keys = server.signingKeys.publishedJWKs(now: server.store.clock.now()).map(\.publicJSON)
            var body = ByteBuffer()
            body.writeString("{\"keys\":[" + keys.joined(separator: ",") + "]}")
            var r = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
            // Short: a rotation must reach verifiers well before the old key leaves the set.
            r.headers[.cacheControl] = "public, max-age=60"
            return r
        }
    }

    /// Runs a handler, turning any refusal into an RFC 6749 error response and anything else
    /// into 400 (a malformed request), never a 5xx other than the store's 503.
    static func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let f as OAuthFailure {
            return error(f)
        } catch let e as KeywardError where e.code == .payloadTooLarge {
            return error(OAuthFailure(.invalidRequest, "the request body exceeds \(maxForm) bytes", status: 413))
        } catch {
            return Self.error(OAuthFailure(.invalidRequest, "the request could not be read"))
        }
    }

    /// The token endpoint's answer to a parsed form: the token, or the RFC 6749 error. Shared by the
    /// route and `TokenFastPath`, so both give the same answer, byte for byte.
    /// The token endpoint's answer (the route's and the fast path's). Failed client
    /// authentications and grants are charged to the failure bucket of the caller's address and the
    /// client it named (case 66): a flood of bad assertions carrying a victim's `client_id` exhausts
    /// only the attacker's own bucket, and the victim's requests from its own addresses still pass.
    static func token(_ server: AuthorizationServer, form: FormBody, headers: HTTPFields, certificate: PresentedCertificate?,
                      limits: Limits, peer: String?) async -> OAuthAnswer {
        var failureBucket: LimitCharge?
        var inspected: InspectedAssertion?
        if limits.policy.enabled, let peer, let failure = limits.policy.failure {
            let (target, assertion) = clientTarget(form)
            inspected = assertion
            let bucket = LimitCharge("f:\(peer)|\(target)", failure)
            failureBucket = bucket
            do {
                let verdict = try await limits.decide([bucket.peeked])
                if !verdict.admitted { return limitedAnswer(RateLimitState(verdict), limits: limits) }
            } catch {
                return errorAnswer(OAuthFailure(.temporarilyUnavailable, "the shared rate-limit store is unavailable; retry", status: 503))
            }
        }
        let request = TokenRequest(form: form, hasBasicAuth: hasBasic(headers), dpopHeaders: headers[values: dpopField], clientCertificate: certificate,
                                   inspected: inspected)
        do {
            return tokenAnswer(try await server.token(request))
        } catch {
            if let failureBucket, [.invalidClient, .invalidGrant, .unauthorizedClient].contains(error.code) {
                _ = try? await limits.decide([failureBucket])
            }
            return errorAnswer(error)
        }
    }

    /// The client a token request names, unverified, for its failure bucket: `client_id`, else the
    /// `iss` of its client assertion, else `-` (one bucket per address for requests naming none).
    /// With it, the assertion as inspected, so the server does not parse it again.
    static func clientTarget(_ form: FormBody) -> (String, InspectedAssertion?) {
        let assertion = (try? single(form, "client_assertion")).flatMap { text in
            (try? ClientAssertion.inspect(text)).map { InspectedAssertion(text: text, assertion: $0) }
        }
        if let id = try? single(form, "client_id"), !id.isEmpty { return (String(id.prefix(128)), assertion) }
        return (assertion.map { String($0.assertion.clientID.prefix(128)) } ?? "-", assertion)
    }

    /// 429 with an RFC 6749 body (`temporarily_unavailable`), `Retry-After` and the RateLimit headers.
    static func limitedAnswer(_ state: RateLimitState, limits: Limits) -> OAuthAnswer {
        limits.countRefusal(state)
        var r = errorAnswer(OAuthFailure(.temporarilyUnavailable, "too many failed attempts from this address for this client; retry in \(state.retryAfter ?? 1) s",
                                         status: 429))
        r.headers[.retryAfter] = String(state.retryAfter ?? 1)
        for field in RouteLimitMiddleware.fields(state) { r.headers[field.name] = field.value }
        return r
    }

    static func error(_ f: OAuthFailure) -> Response { errorAnswer(f).response }

    static func errorAnswer(_ f: OAuthFailure) -> OAuthAnswer {
        var r = (try? jsonAnswer(OAuthErrorBody(error: f.code.rawValue, errorDescription: f.description)))
            ?? OAuthAnswer(status: .badRequest, headers: [.contentLength: "0"], body: ByteBuffer())
        r.status = HTTPResponse.Status(code: f.status)
        if f.status == 401, f.code == .invalidClient { r.headers[.wwwAuthenticate] = "Bearer error=\"invalid_client\"" }
        if f.status == 503 { r.headers[.retryAfter] = "1" }
        if let nonce = f.dpopNonce {
            r.headers[dpopNonceField] = nonce
            r.headers[.wwwAuthenticate] = "DPoP error=\"use_dpop_nonce\""
        }
        return r
    }

    static func json<T: Encodable>(_ value: T) throws -> Response { try jsonAnswer(value).response }

    static func jsonAnswer<T: Encodable>(_ value: T) throws -> OAuthAnswer {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return noStore(ByteBuffer(bytes: try enc.encode(value)))
    }

    /// An `application/json` 200 that no cache keeps (RFC 6749 §5.1: token responses are never
    /// cached; nor is anything else here). `Content-Length` comes last, where `Response` would put it.
    static func noStore(_ body: ByteBuffer) -> OAuthAnswer {
        OAuthAnswer(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store", pragmaField: "no-cache",
                                           .contentLength: String(body.readableBytes)], body: body)
    }

    /// RFC 6749 §5.1's token response, written directly: the same bytes as `json(TokenResponse(…))`
    /// (sorted keys, slashes unescaped) without JSONEncoder, which cost more than the rest of the
    /// response on the token endpoint's hot path (a test holds the two to the same bytes).
    static func tokenAnswer(_ issued: IssuedToken) -> OAuthAnswer {
        var body = ByteBuffer()
        body.reserveCapacity(issued.token.utf8.count + issued.scope.utf8.count + 96)
        body.writeStaticString("{\"access_token\":")
        VerifyCodec.writeString(issued.token, &body)
        body.writeStaticString(",\"expires_in\":")
        body.writeString(String(issued.expiresIn))
        body.writeStaticString(",\"scope\":")
        VerifyCodec.writeString(issued.scope, &body)
        body.writeStaticString(",\"token_type\":")
        VerifyCodec.writeString(issued.tokenType, &body)
        body.writeStaticString("}")
        return noStore(body)
    }

    static func hasBasic(_ headers: HTTPFields) -> Bool {
        headers[.authorization]?.lowercased().hasPrefix("basic ") ?? false
    }

    static func single(_ form: FormBody, _ name: String) throws(OAuthFailure) -> String? {
        do { return try form.value(name) } catch { throw OAuthFailure(.invalidRequest, "\(name) appears more than once") }
    }

    /// The media type (before any parameters, spaces around it ignored) is
    /// `application/x-www-form-urlencoded`, compared case-insensitively (RFC 9110 §8.3.1).
    static func isForm(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        var media = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        while let f = media.first, f == UInt8(ascii: " ") || f == UInt8(ascii: "\t") { media = media.dropFirst() }
        while let l = media.last, l == UInt8(ascii: " ") || l == UInt8(ascii: "\t") { media = media.dropLast() }
        let expected = "application/x-www-form-urlencoded".utf8
        return media.count == expected.count && zip(media, expected).allSatisfy { a, e in (a >= 0x41 && a <= 0x5A ? a | 0x20 : a) == e }
    }

    /// The form body: `application/x-www-form-urlencoded` only, at most 64 KiB.
    static func form(_ req: Request) async throws -> FormBody {
        guard isForm(req.headers[.contentType]) else {
            throw OAuthFailure(.invalidRequest, "the body must be application/x-www-form-urlencoded")
        }
        var req = req
        let buffer: ByteBuffer
        do {
            buffer = try await req.collectBody(upTo: maxForm)
        } catch {
            throw OAuthFailure(.invalidRequest, "the request body exceeds \(maxForm) bytes", status: 413)
        }
        return try parseForm(buffer)
    }

    /// A collected form body (at most `maxForm` bytes), or the route's 400.
    static func parseForm(_ buffer: ByteBuffer) throws(OAuthFailure) -> FormBody {
        do {
            return try FormBody.parse(buffer.readableBytesView, maxBytes: maxForm)
        } catch {
            throw OAuthFailure(.invalidRequest, "the form body is malformed: \(error.reason)")
        }
    }

    /// An answer of these routes as status, fields (`Content-Length` included) and body: what the
    /// router returns as a `Response` and `TokenFastPath` writes itself.
    struct OAuthAnswer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
        var response: Response { Response(status: status, headers: headers, body: .init(byteBuffer: body)) }
    }
}
