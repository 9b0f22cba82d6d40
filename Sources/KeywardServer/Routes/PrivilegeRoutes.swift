import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

/// Least privilege from observed use and dormant keys (issue 15):
/// `GET /v1/identities/{id}/privilege`, `POST /v1/identities/{id}/privilege/apply`, `GET /v1/keys/dormant`.
struct PrivilegeRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io
        table.add(.get, "/v1/identities/{id}/privilege")
        router.get("/v1/identities/{id}/privilege") { req, ctx in
            _ = try auth.require(.read, req)
            let id = try ctx.pathID(IdentityID.self)
            let days = try req.intQuery("window_days", default: 30, range: Governance.privilegeWindowDays)
            return try io.respond(IdentityPrivilegeResponse(try await m.privilege(of: id, windowDays: days)))
        }
        table.add(.post, "/v1/identities/{id}/privilege/apply")
        router.post("/v1/identities/{id}/privilege/apply") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(IdentityID.self)
            let body = try await io.decode(PrivilegeApplyRequest.self, from: req)
            let days = body.windowDays ?? 30
            let changes = try await m.applyPrivilege(to: id, try body.keys.map(PrivilegeChange.init), windowDays: days, actor: actor)
            return try io.respond(PrivilegeApplyResponse(identityId: id.description, windowDays: days, changes: changes.map(ScopeChangeResponse.init)))
        }
        table.add(.get, "/v1/keys/dormant")
        router.get("/v1/keys/dormant") { req, _ in
            _ = try auth.require(.read, req)
            let days = try req.intQuery("days", default: 90, range: 1...3650)
            let identity = try req.uri.queryParameters.get("identity_id").map { i in
                guard let iid = IdentityID(i) else { throw KeywardError(.badRequest, "identity_id is not an identity id") }
                return iid
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.dormantKeys(days: days, identity: identity, limit: limit, after: try req.cursorQuery(KeyID.self))
            let now = m.now()
            return try io.respond(ListResponse(items: page.items.map { DormantKeyResponse($0, now: now) }, nextCursor: page.nextCursor))
        }
    }
}
