import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

/// `/v1/webhooks`: subscriptions and their deliveries.
struct WebhookRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io
        // MARK: webhooks
        table.add(.post, "/v1/webhooks")
        router.post("/v1/webhooks") { req, _ in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(WebhookCreateRequest.self, from: req)
            let (w, secret) = try await m.createWebhook(NewWebhook(body), actor: actor)
            var resp = try io.respond(WebhookResponse(w, secret: secret), status: .created)
            resp.headers[.cacheControl] = "no-store"
            return resp
        }
        table.add(.get, "/v1/webhooks")
        router.get("/v1/webhooks") { req, _ in
            _ = try auth.require(.read, req)
            return try io.respond(ListResponse(items: try await m.webhooks().map { WebhookResponse($0, secret: nil) }, nextCursor: nil))
        }
        table.add(.delete, "/v1/webhooks/{id}")
        router.delete("/v1/webhooks/{id}") { req, ctx in
            try await m.deleteWebhook(try ctx.pathID(WebhookID.self), actor: try auth.require(.admin, req))
            return Response(status: .noContent)
        }
        table.add(.get, "/v1/webhooks/{id}/deliveries")
        router.get("/v1/webhooks/{id}/deliveries") { req, ctx in
            _ = try auth.require(.read, req)
            let id = try ctx.pathID(WebhookID.self)
            guard try await m.webhooks().contains(where: { $0.id == id }) else { throw KeywardError.notFound("webhook") }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            return try io.respond(ListResponse(items: try await m.deliveries(of: id, limit: limit).map(WebhookDeliveryResponse.init), nextCursor: nil))
        }
    }
}
