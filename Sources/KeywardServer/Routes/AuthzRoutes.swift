import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardOAuth
import KeywardVerify
import NIOCore

/// `/v1/authz` and `/v1/authz/{original path}`, any method: the forward-auth protocol of NGINX
/// `auth_request`, Envoy `ext_authz` (HTTP service), Traefik `ForwardAuth` and Caddy
/// `forward_auth`. Only a trusted proxy is answered and only its forwarded headers are read; the
/// credential is judged by `VerifyPoint`, as `POST /v1/keys/verify` judges it, with the real
/// client's address, method and path as the source. 200 carries `X-Keyward-*` headers for the
/// upstream; 401, 403 and 429 are for the gateway to hand back. Bodies are tiny: gateways drop them.
struct AuthzRoutes {
    let point: VerifyPoint
    let config: AuthzConfiguration

    /// Every method a route is registered for: the standard ones (as openapi.yaml lists them) and
    /// WebDAV's. Another method (QUERY, still a draft, which OpenAPI 3.1 cannot list) reaches
    /// `/v1/authz` as GET with `X-Forwarded-Method`.
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace] +
        ["PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH"].compactMap { HTTPRequest.Method($0) }

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let routes = self
        for path in [ForwardedRequest.prefix, ForwardedRequest.prefix + "/**"] {
            for method in Self.methods {
                table.add(method, path)
                router.on(RouterPath(path), method: method) { req, ctx in try await routes.answer(req.head, peer: ctx.remoteAddress) }
            }
        }
    }

    /// What a forward-auth request asks once its headers are read: an answer already (no
    /// credential, a DPoP header with an API key), or a credential to judge.
    enum Judgement {
        case answered(AuthzAnswer)
        case judge(VerifyRequest, ForwardedRequest.Credential, isToken: Bool, required: [Scope])
    }

    func answer(_ head: HTTPRequest, peer: String?) async throws -> Response {
        switch try judgement(head, peer: peer) {
        case .answered(let a):
            return a.response
        case .judge(let body, let credential, let isToken, let required):
            return Self.answer(try await point.outcome(body), credential: credential, isToken: isToken, required: required).response
        }
    }

    /// The answer when it needs nothing but this node's memory (`VerifyFastPath` writes it from the
    /// event loop); nil when the router must answer: a refusal to explain as problem+json, or a
    /// decision that waits for the shared store.
    func answerNow(_ head: HTTPRequest, peer: String?) -> AuthzAnswer? {
        switch try? judgement(head, peer: peer) {
        case nil: return nil
        case .answered(let a)?: return a
        case .judge(let body, let credential, let isToken, let required)?:
            guard case .ready(let o)? = try? point.step(body) else { return nil }
            return Self.answer(o, credential: credential, isToken: isToken, required: required)
        }
    }

    func judgement(_ head: HTTPRequest, peer: String?) throws -> Judgement {
        guard config.trusts(peer) else {
            throw KeywardError(.forbidden, "/v1/authz answers trusted proxies only, and \(peer ?? "this caller") is not one: start keyward serve with --authz-trusted-proxy CIDR (e.g. 127.0.0.1/32 for a gateway on this host)")
        }
        let original = try ForwardedRequest(head, peer: peer, config: config)
        guard let credential = original.credential else {
            return .answered(Self.deny(.unauthorized, reason: "missing", challenge: "Bearer realm=\"keyward\""))
        }
        let rule = config.rule(method: original.method, path: original.path)
        var body = VerifyRequest(key: credential.secret, scopes: rule.map { $0.scopes.map(\.value) },
                                 source: VerifySourceDTO(ip: original.clientAddress, userAgent: original.userAgent.map { String($0.prefix(256)) },
                                                         method: original.method, path: String(original.path.prefix(1_024))))
        let isToken = TokenVerifier.isToken(credential.secret)
        if case .dpop(_, let proof) = credential {
            guard isToken else { return .answered(Self.deny(.unauthorized, reason: "malformed", challenge: "DPoP error=\"invalid_token\"")) }
            body.dpop = proof
            body.htm = original.method
            body.htu = original.host.map { "\(original.scheme)://\($0)\(original.rawPath)" }
        }
        return .judge(body, credential, isToken: isToken, required: rule?.scopes ?? [])
    }

    static func answer(_ o: VerifyOutcome, credential: ForwardedRequest.Credential, isToken: Bool, required: [Scope]) -> AuthzAnswer {
        let scheme = if case .dpop = credential { "DPoP" } else { "Bearer" }
        guard let reason = o.reason else {
            var headers: HTTPFields = [.cacheControl: "no-store"]
            if let id = o.identityID { headers[identity] = id.description }
            if let client = o.clientID { headers[clientHeader] = client.description } else if let key = o.keyID { headers[keyHeader] = key.description }
            headers[scopesHeader] = (o.scopes ?? []).map(\.value).joined(separator: " ")
            if let state = o.ratelimit { headers.append(contentsOf: RouteLimitMiddleware.fields(state)) }
            return AuthzAnswer(status: .ok, headers: headers)
        }
        switch reason {
        case .insufficientScope:
            let scope = required.map(\.value).joined(separator: " ")
            return deny(.forbidden, reason: reason.rawValue, challenge: "\(scheme) realm=\"keyward\", error=\"insufficient_scope\", scope=\"\(scope)\"")
        case .rateLimited:
            // Retry-After and the IETF RateLimit-Policy/RateLimit headers, as Keyward's own routes send them.
            var r = deny(.tooManyRequests, reason: reason.rawValue, challenge: nil)
            if let state = o.ratelimit { r.headers.append(contentsOf: RouteLimitMiddleware.fields(state)) }
            r.headers[.retryAfter] = String(max(1, o.ratelimit?.retryAfter ?? 1))
            return r
        case .sourceBlocked:
            // The credential may be good: the caller's address is refused (a detection's block).
            return deny(.forbidden, reason: reason.rawValue, challenge: nil)
        case .dpopNonceRequired:
            var r = deny(.unauthorized, reason: reason.rawValue, challenge: "DPoP error=\"use_dpop_nonce\"")
            if let nonce = o.dpopNonce { r.headers[.init("DPoP-Nonce")!] = nonce }
            return r
        default:
            return deny(.unauthorized, reason: reason.rawValue, challenge: "\(scheme) realm=\"keyward\", error=\"invalid_token\"")
        }
    }

    /// A refusal: the status, `X-Keyward-Reason` (verify's closed set, or `missing`), the
    /// challenge, and a one-line problem+json body.
    static func deny(_ status: HTTPResponse.Status, reason: String, challenge: String?) -> AuthzAnswer {
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        headers[reasonHeader] = reason
        if let challenge { headers[.wwwAuthenticate] = challenge }
        let body = #"{"type":"urn:keyward:error:authz:\#(reason)","status":\#(status.code),"title":"\#(status.reasonPhrase)"}"#
        return AuthzAnswer(status: status, headers: headers, body: body)
    }

    static let identity = HTTPField.Name("X-Keyward-Identity")!
    static let keyHeader = HTTPField.Name("X-Keyward-Key")!
    static let clientHeader = HTTPField.Name("X-Keyward-Client")!
    static let scopesHeader = HTTPField.Name("X-Keyward-Scopes")!
    static let reasonHeader = HTTPField.Name("X-Keyward-Reason")!
}

/// A forward-auth answer: status, headers and a tiny body (gateways drop it).
struct AuthzAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String?

    var response: Response {
        Response(status: status, headers: headers, body: body.map { .init(byteBuffer: ByteBuffer(string: $0)) } ?? .init())
    }
}
