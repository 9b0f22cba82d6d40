import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardStore

/// Incidents, blast radius, consumers, imported credentials and webhooks (issue 5).
struct ResponseRoutes {
    let management: ManagementService
    let auth: Authenticator
    let io: JSONIO
    let tls: Bool

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = management, auth = auth, io = io, tls = tls

        table.add(.get, "/v1/keys/{id}/blast-radius")
        router.get("/v1/keys/{id}/blast-radius") { req, ctx in
            _ = try auth.require(.read, req)
            return try io.respond(try await m.blastRadius(of: try ctx.pathID(KeyID.self)))
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
                guard KeyID(t) != nil || CredentialID(t) != nil else { throw KeywardError(.badRequest, "target_id must be a key or credential id") }
                filter.targetID = t
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.store.listIncidents(filter, limit: limit, after: try req.cursorQuery(IncidentID.self))
            return try io.respond(ListResponse(items: page.items.map { IncidentResponse($0, detailed: false) }, nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/incidents/{id}")
        router.get("/v1/incidents/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            guard let i = try await m.store.incident(try ctx.pathID(IncidentID.self)) else { throw KeywardError.notFound("incident") }
            return try io.respond(IncidentResponse(i, detailed: true))
        }
        table.add(.post, "/v1/incidents/{id}/resolve")
        router.post("/v1/incidents/{id}/resolve") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(IncidentID.self)
            let body = try await io.decode(IncidentResolveRequest.self, from: req)
            return try io.respond(IncidentResponse(try await m.resolveIncident(id, reason: body.reason, actor: actor), detailed: false))
        }

        // MARK: consumers
        table.add(.post, "/v1/consumers")
        router.post("/v1/consumers") { req, _ in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(ConsumerCreateRequest.self, from: req)
            return try io.respond(ConsumerResponse(try await m.createConsumer(body, actor: actor)), status: .created)
        }
        table.add(.get, "/v1/consumers")
        router.get("/v1/consumers") { req, _ in
            _ = try auth.require(.read, req)
            var holding: String?
            if let h = req.uri.queryParameters.get("holds") {
                guard KeyID(h) != nil || CredentialID(h) != nil else { throw KeywardError(.badRequest, "holds must be a key or credential id") }
                holding = h
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.store.listConsumers(holding: holding, limit: limit, after: try req.cursorQuery(ConsumerID.self))
            return try io.respond(ListResponse(items: page.items.map(ConsumerResponse.init), nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/consumers/{id}")
        router.get("/v1/consumers/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            guard let c = try await m.store.consumer(try ctx.pathID(ConsumerID.self)) else { throw KeywardError.notFound("consumer") }
            return try io.respond(ConsumerResponse(c))
        }
        table.add(.delete, "/v1/consumers/{id}")
        router.delete("/v1/consumers/{id}") { req, ctx in
            try await m.deleteConsumer(try ctx.pathID(ConsumerID.self), actor: try auth.require(.admin, req))
            return Response(status: .noContent)
        }

        // MARK: imported credentials
        table.add(.post, "/v1/credentials")
        router.post("/v1/credentials") { req, ctx in
            let actor = try auth.require(.admin, req)
            guard ctx.plaintextAllowed(tls: tls) else {
                throw KeywardError(.badRequest, "credentials are imported as plaintext: only over TLS (--tls-cert) or from this machine")
            }
            let body = try await io.decode(CredentialImportRequest.self, from: req)
            let imported = try await m.importCredentials(body, actor: actor)
            return try io.respond(ListResponse(items: imported.map { CredentialResponse($0.0, created: $0.1) }, nextCursor: nil), status: .created)
        }
        table.add(.get, "/v1/credentials")
        router.get("/v1/credentials") { req, _ in
            _ = try auth.require(.read, req)
            var identity: IdentityID?
            if let i = req.uri.queryParameters.get("identity_id") {
                guard let iid = IdentityID(i) else { throw KeywardError(.badRequest, "identity_id is not an identity id") }
                identity = iid
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.store.listCredentials(identity: identity, limit: limit, after: try req.cursorQuery(CredentialID.self))
            return try io.respond(ListResponse(items: page.items.map { CredentialResponse($0, created: nil) }, nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/credentials/{id}")
        router.get("/v1/credentials/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            guard let c = try await m.store.credential(try ctx.pathID(CredentialID.self)) else { throw KeywardError.notFound("credential") }
            return try io.respond(CredentialResponse(c, created: nil))
        }
        table.add(.delete, "/v1/credentials/{id}")
        router.delete("/v1/credentials/{id}") { req, ctx in
            try await m.deleteCredential(try ctx.pathID(CredentialID.self), actor: try auth.require(.admin, req))
            return Response(status: .noContent)
        }

        // MARK: webhooks
        table.add(.post, "/v1/webhooks")
        router.post("/v1/webhooks") { req, _ in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(WebhookCreateRequest.self, from: req)
            let (w, secret) = try await m.createWebhook(body, actor: actor)
            var resp = try io.respond(WebhookResponse(w, secret: secret), status: .created)
            resp.headers[.cacheControl] = "no-store"
            return resp
        }
        table.add(.get, "/v1/webhooks")
        router.get("/v1/webhooks") { req, _ in
            _ = try auth.require(.read, req)
            return try io.respond(ListResponse(items: try await m.store.webhooks().map { WebhookResponse($0, secret: nil) }, nextCursor: nil))
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
            guard try await m.store.webhooks().contains(where: { $0.id == id }) else { throw KeywardError.notFound("webhook") }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            return try io.respond(ListResponse(items: try await m.store.deliveries(of: id, limit: limit).map(WebhookDeliveryResponse.init), nextCursor: nil))
        }
    }
}

extension IncidentResponse {
    init(_ i: Incident, detailed: Bool) {
        let dec = WireCoding.decoder()
        self.init(
            id: i.id.description, status: i.status.rawValue, targetKind: i.targetKind, targetId: i.targetID, targetVersion: i.targetVersion,
            identityId: i.identityID.description, environment: i.environment, source: i.source, classification: i.classification.rawValue,
            action: i.action.rawValue, receivedAt: i.receivedAt, matchedAt: i.matchedAt, containedAt: i.containedAt, notifiedAt: i.notifiedAt,
            timeToContainMs: i.timeToContainMillis, exposureCount: i.exposureCount, guidance: i.guidance,
            timeline: i.events.map { IncidentEventDTO(at: $0.at, kind: $0.kind, detail: $0.detail) },
            blastRadius: detailed ? try? dec.decode(BlastRadius.self, from: Data(i.blastRadiusJSON.utf8)) : nil,
            hunt: detailed ? try? dec.decode(Hunt.self, from: Data(i.huntJSON.utf8)) : nil)
    }
}

extension ConsumerResponse {
    init(_ c: Consumer) {
        self.init(id: c.id.description, name: c.name, kind: c.kind.rawValue, environment: c.environment, contact: c.contact, holds: c.holds, createdAt: c.createdAt)
    }
}

extension CredentialResponse {
    init(_ c: Credential, created: Bool?) {
        self.init(id: c.id.description, identityId: c.identityID.description, name: c.name, provider: c.provider, ruleId: c.ruleID,
                  environment: c.environment, fingerprint: c.fingerprint.description, hasDigest: c.digest != nil, prefix: c.prefix, origin: c.origin,
                  status: c.status.rawValue, revocation: ManagementService.revocationMethod(rule: c.ruleID, provider: c.provider), createdAt: c.createdAt, updatedAt: c.updatedAt,
                  created: created)
    }
}

extension WebhookResponse {
    init(_ w: WebhookRecord, secret: String?) {
        self.init(id: w.id.description, url: w.urlDisplay, events: w.events, status: w.status, createdAt: w.createdAt, secret: secret)
    }
}

extension WebhookDeliveryResponse {
    init(_ d: WebhookDelivery) {
        self.init(id: d.id, event: d.event, status: d.status, attempts: d.attempts, lastStatus: d.lastStatus, lastError: d.lastError,
                  createdAt: d.createdAt, nextAttemptAt: d.status == "pending" ? d.nextAttemptAt : nil, deliveredAt: d.deliveredAt)
    }
}
