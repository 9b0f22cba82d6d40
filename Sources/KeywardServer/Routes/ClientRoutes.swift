import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardStore

/// `/v1/clients`: OAuth clients of inventory identities, and `/v1/oauth/signing-keys/rotate`.
struct ClientRoutes {
    let governance: Governance
    let server: AuthorizationServer
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io, server = server
        table.add(.post, "/v1/clients")
        router.post("/v1/clients") { req, _ in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(ClientCreateRequest.self, from: req)
            try Self.checkCertificateMembers(body, settings: server.settings)
            return try io.respond(ClientResponse(try await m.registerClient(NewClient(body), actor: actor), liveTokens: 0), status: .created)
        }
        table.add(.get, "/v1/clients")
        router.get("/v1/clients") { req, _ in
            _ = try auth.require(.read, req)
            var identity: IdentityID?
            if let i = req.uri.queryParameters.get("identity_id") {
                guard let id = IdentityID(String(i)) else { throw KeywardError(.badRequest, "identity_id must be an identity id (idn_…)") }
                identity = id
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.listClients(identity: identity, limit: limit, after: try req.cursorQuery(OAuthClientID.self))
            return try io.respond(ListResponse(items: page.items.map { ClientResponse($0) }, nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/clients/{id}")
        router.get("/v1/clients/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            let (c, live) = try await m.client(try ctx.pathID(OAuthClientID.self))
            return try io.respond(ClientResponse(c, liveTokens: live))
        }
        table.add(.post, "/v1/clients/{id}/revoke")
        router.post("/v1/clients/{id}/revoke") { req, ctx in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(ClientRevokeRequest.self, from: req, emptyIsObject: true)
            let (c, n) = try await m.revokeClient(try ctx.pathID(OAuthClientID.self), reason: body.reason, actor: actor)
            return try io.respond(ClientRevokeResponse(client: ClientResponse(c, liveTokens: 0), tokensRevoked: n))
        }
        table.add(.post, "/v1/oauth/signing-keys/rotate")
        router.post("/v1/oauth/signing-keys/rotate") { req, _ in
            let actor = try auth.require(.admin, req)
            let kid = try await server.signingKeys.rotate(maxTokenLifetime: server.settings.maxTokenLifetime, actor: actor.name)
            return try io.respond(["kid": kid])
        }
    }

    /// What only this server's TLS set-up can tell about a registration's certificate members:
    /// `self_signed_tls_client_auth` needs `--self-signed-client-certs`; a CA pin must name a
    /// certificate of `--client-ca`; and with several client CAs a `tls_client_auth` client must
    /// pin one (RFC 8705 §7.4: the AS makes sure the subject comes from the expected CA).
    static func checkCertificateMembers(_ r: ClientCreateRequest, settings: OAuthSettings) throws {
        let cas = settings.clientCAThumbprints
        switch r.tokenEndpointAuthMethod {
        case "self_signed_tls_client_auth" where !settings.selfSignedClientCertificates:
            throw KeywardError(.validation, "token_endpoint_auth_method: this server accepts no self-signed client certificates; "
                + "start it with --self-signed-client-certs (and --tls-cert) to register self_signed_tls_client_auth clients")
        case "tls_client_auth":
            if let pin = r.tlsClientAuthCaThumbprint, !cas.isEmpty, !cas.contains(pin) {
                throw KeywardError(.validation, "tls_client_auth_ca_thumbprint: not the SHA-256 thumbprint of a certificate in this server's --client-ca bundle")
            }
            if r.tlsClientAuthCaThumbprint == nil, cas.count > 1 {
                throw KeywardError(.validation, "tls_client_auth_ca_thumbprint is required: --client-ca holds \(cas.count) CAs, so a subject alone "
                    + "does not say which CA vouches for it (RFC 8705 §7.4); pin the issuing CA's thumbprint, one of \(cas.joined(separator: ", "))")
            }
        default:
            break
        }
    }
}
