import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

/// `/v1/identities` and `/v1/keys` (management).
struct ManagementRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO
    let clock: WallClock

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io, clock = clock
        table.add(.post, "/v1/identities")
        router.post("/v1/identities") { req, _ in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(IdentityCreateRequest.self, from: req)
            let created = try await m.createIdentity(try NewIdentity(body), actor: actor)
            return try io.respond(IdentityResponse(created), status: .created)
        }
        table.add(.get, "/v1/identities")
        router.get("/v1/identities") { req, _ in
            _ = try auth.require(.read, req)
            let q = req.uri.queryParameters
            var filter = IdentityFilter(owner: q.get("owner"), environment: q.get("environment"), name: q.get("name"))
            if let k = q.get("kind") {
                guard let kind = IdentityKind(rawValue: k) else { throw KeywardError(.badRequest, "kind must be one of \(IdentityKind.allCases.map(\.rawValue).joined(separator: ", "))") }
                filter.kind = kind
            }
            if let s = q.get("status") {
                guard let st = IdentityStatus(rawValue: s) else { throw KeywardError(.badRequest, "status must be active or decommissioned") }
                filter.status = st
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let cursor = try req.cursorQuery(IdentityID.self)
            let page = try await m.identities(filter, limit: limit, after: cursor)
            return try io.respond(ListResponse(items: page.items.map { IdentityResponse($0) }, nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/identities/{id}")
        router.get("/v1/identities/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            let id = try ctx.pathID(IdentityID.self)
            guard let i = try await m.identity(id) else { throw KeywardError.notFound("identity") }
            var r = IdentityResponse(i)
            r.openDetections = try await m.detections(DetectionFilter(status: .open, identityID: id), limit: 20, after: nil).items.map(DetectionResponse.init)
            return try io.respond(r)
        }
        table.add(.patch, "/v1/identities/{id}")
        router.patch("/v1/identities/{id}") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(IdentityID.self)
            let body = try await io.decode(IdentityUpdateRequest.self, from: req)
            let i = try await m.updateIdentity(id, try IdentityChanges(body), actor: actor)
            return try io.respond(IdentityResponse(i))
        }
        table.add(.post, "/v1/identities/{id}/decommission")
        router.post("/v1/identities/{id}/decommission") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(IdentityID.self)
            let body = try await io.decode(IdentityDecommissionRequest.self, from: req, emptyIsObject: true)
            let (i, n) = try await m.decommission(id, reason: body.reason, actor: actor)
            return try io.respond(IdentityResponse(i, revokedKeys: n))
        }

        table.add(.post, "/v1/keys")
        router.post("/v1/keys") { req, _ in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(KeyCreateRequest.self, from: req)
            let (key, secret) = try await m.issueKey(try NewKey.from(body), actor: actor)
            var resp = try io.respond(KeyIssuedResponse(key, secret: secret), status: .created)
            resp.headers[.cacheControl] = "no-store"
            return resp
        }
        table.add(.get, "/v1/keys")
        router.get("/v1/keys") { req, _ in
            _ = try auth.require(.read, req)
            let filter = try Self.keyFilter(req)
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let cursor = try req.cursorQuery(KeyID.self)
            let page = try await m.keys(filter, limit: limit, after: cursor)
            let now = clock.now()
            return try io.respond(ListResponse(items: page.items.map { KeyResponse($0, now: now) }, nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/keys/{id}")
        router.get("/v1/keys/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            let id = try ctx.pathID(KeyID.self)
            guard let k = try await m.key(id) else { throw KeywardError.notFound("key") }
            let usage = try await m.usage(of: id)
            return try io.respond(KeyResponse(k, now: clock.now(), usage: usage.outcomes))
        }
        table.add(.patch, "/v1/keys/{id}")
        router.patch("/v1/keys/{id}") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(KeyID.self)
            let body = try await io.decode(KeyUpdateRequest.self, from: req)
            guard let change = body.rateLimit else { throw KeywardError(.validation, "nothing to change: give rate_limit (an object, or null for the policy's)") }
            let key = try await m.setRateLimit(of: id, to: try RateLimit.change(change), actor: actor)
            return try io.respond(KeyResponse(key, now: clock.now()))
        }
        table.add(.post, "/v1/keys/{id}/rotate")
        router.post("/v1/keys/{id}/rotate") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(KeyID.self)
            let body = try await io.decode(KeyRotateRequest.self, from: req, emptyIsObject: true)
            let (key, secret) = try await m.rotateKey(id, graceSeconds: body.graceSeconds, quietPeriodSeconds: body.quietPeriodSeconds,
                                                  maxGraceSeconds: body.maxGraceSeconds, actor: actor)
            var resp = try io.respond(KeyIssuedResponse(key, secret: secret))
            resp.headers[.cacheControl] = "no-store"
            return resp
        }
        table.add(.post, "/v1/keys/{id}/revoke")
        router.post("/v1/keys/{id}/revoke") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(KeyID.self)
            let body = try await io.decode(KeyRevokeRequest.self, from: req)
            let key = try await m.revokeKey(id, reason: body.reason, actor: actor)
            return try io.respond(KeyResponse(key, now: clock.now()))
        }
    }
    /// Built from three optionals in one call: filling a `var KeyFilter` field by field made
    /// Swift 6.3 (debug) emit an aligned SSE move at an unaligned stack slot (a crash on GET /v1/keys).
    static func keyFilter(_ req: Request) throws -> KeyFilter {
        let q = req.uri.queryParameters
        let identity = try q.get("identity_id").map { i in
            guard let iid = IdentityID(i) else { throw KeywardError(.badRequest, "identity_id is not an identity id") }
            return iid
        }
        let status = try q.get("status").map { s in
            guard let st = KeyStatus(rawValue: s) else { throw KeywardError(.badRequest, "status must be active or revoked") }
            return st
        }
        let environment = try q.get("environment").map { e in
            guard let env = KeyEnvironment(rawValue: e) else { throw KeywardError(.badRequest, "environment must be live or test") }
            return env
        }
        return KeyFilter(identityID: identity, status: status, environment: environment)
    }
}
