import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

/// `/v1/incidents` (open, contained, resolved; their timeline, blast radius and hunt) and a key's blast radius.
struct IncidentRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO
    /// This node's usage flush: a key's blast radius lists the sources verify observed, from
    /// flushed telemetry, so it flushes first and shows this node's verifies up to the request.
    let flushUsage: @Sendable () async -> Void

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io, flushUsage = flushUsage

        table.add(.get, "/v1/keys/{id}/blast-radius")
        router.get("/v1/keys/{id}/blast-radius") { req, ctx in
            _ = try auth.require(.read, req)
            let id = try ctx.pathID(KeyID.self)
            await flushUsage()
            return try io.respond(BlastRadius(try await m.blastRadius(of: id)))
        }

        // MARK: incidents
        table.add(.get, "/v1/incidents")
        router.get("/v1/incidents") { req, _ in
            _ = try auth.require(.read, req)
            let q = req.uri.queryParameters
            var filter = IncidentFilter()
            if let s = q.get("status") {
                guard let st = IncidentStatus(rawValue: s) else { throw KeywardError(.badRequest, "status must be open, contained or resolved") }
                filter.status = st
            }
            if let t = q.get("target_id") {
                guard let target = CredentialRef(t) else { throw KeywardError(.badRequest, "target_id must be a key or credential id") }
                filter.target = target
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.incidents(filter, limit: limit, after: try req.cursorQuery(IncidentID.self))
            return try io.respond(ListResponse(items: page.items.map { IncidentResponse($0, detailed: false) }, nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/incidents/{id}")
        router.get("/v1/incidents/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            guard let i = try await m.incident(try ctx.pathID(IncidentID.self)) else { throw KeywardError.notFound("incident") }
            return try io.respond(IncidentResponse(i, detailed: true))
        }
        table.add(.post, "/v1/incidents/{id}/resolve")
        router.post("/v1/incidents/{id}/resolve") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(IncidentID.self)
            let body = try await io.decode(IncidentResolveRequest.self, from: req)
            return try io.respond(IncidentResponse(try await m.resolveIncident(id, reason: body.reason, actor: actor), detailed: false))
        }
    }
}
