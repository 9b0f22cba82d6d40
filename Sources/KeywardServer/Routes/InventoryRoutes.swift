import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

/// `/v1/consumers` (who holds which credential) and `/v1/credentials` (imported third-party credentials).
struct InventoryRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO
    let tls: Bool

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io, tls = tls
        // MARK: consumers
        table.add(.post, "/v1/consumers")
        router.post("/v1/consumers") { req, _ in
            let actor = try auth.require(.admin, req)
            let body = try await io.decode(ConsumerCreateRequest.self, from: req)
            return try io.respond(ConsumerResponse(try await m.createConsumer(NewConsumer(body), actor: actor)), status: .created)
        }
        table.add(.get, "/v1/consumers")
        router.get("/v1/consumers") { req, _ in
            _ = try auth.require(.read, req)
            var holding: CredentialRef?
            if let h = req.uri.queryParameters.get("holds") {
                guard let ref = CredentialRef(h) else { throw KeywardError(.badRequest, "holds must be a key or credential id") }
                holding = ref
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.consumers(holding: holding, limit: limit, after: try req.cursorQuery(ConsumerID.self))
            return try io.respond(ListResponse(items: page.items.map(ConsumerResponse.init), nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/consumers/{id}")
        router.get("/v1/consumers/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            guard let c = try await m.consumer(try ctx.pathID(ConsumerID.self)) else { throw KeywardError.notFound("consumer") }
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
            let imported = try await m.importCredentials(CredentialImport(body), actor: actor)
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
            let page = try await m.credentials(identity: identity, limit: limit, after: try req.cursorQuery(CredentialID.self))
            return try io.respond(ListResponse(items: page.items.map { CredentialResponse($0, created: nil) }, nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/credentials/{id}")
        router.get("/v1/credentials/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            guard let c = try await m.credential(try ctx.pathID(CredentialID.self)) else { throw KeywardError.notFound("credential") }
            return try io.respond(CredentialResponse(c, created: nil))
        }
        table.add(.delete, "/v1/credentials/{id}")
        router.delete("/v1/credentials/{id}") { req, ctx in
            try await m.deleteCredential(try ctx.pathID(CredentialID.self), actor: try auth.require(.admin, req))
            return Response(status: .noContent)
        }
    }
}
