import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance

/// Rotation closed by observed migration (issue 15): `GET /v1/keys/{id}/rotation` (who has
/// migrated, who lags) and `PATCH /v1/consumers/{id}` (how a declared consumer is recognised).
struct RotationRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO
    /// This node's usage flush: the view reads flushed telemetry, so it flushes first and shows
    /// this node's verifies up to the request (other nodes' within their flush interval).
    let flushUsage: @Sendable () async -> Void

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io, flushUsage = flushUsage
        table.add(.get, "/v1/keys/{id}/rotation")
        router.get("/v1/keys/{id}/rotation") { req, ctx in
            _ = try auth.require(.read, req)
            let id = try ctx.pathID(KeyID.self)
            await flushUsage()
            return try io.respond(KeyRotationResponse(try await m.rotationReport(of: id)))
        }
        table.add(.patch, "/v1/consumers/{id}")
        router.patch("/v1/consumers/{id}") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(ConsumerID.self)
            let body = try await io.decode(ConsumerUpdateRequest.self, from: req)
            guard let sources = body.sources else { throw KeywardError(.validation, "nothing to change: give sources (a list, empty to clear)") }
            return try io.respond(ConsumerResponse(try await m.setConsumerSources(id, to: sources.map(ConsumerSource.init), actor: actor)))
        }
    }
}
