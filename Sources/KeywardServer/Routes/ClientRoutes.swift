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
}
