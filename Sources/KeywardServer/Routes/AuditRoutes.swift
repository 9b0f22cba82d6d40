import Crypto
import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

/// `GET /v1/audit` (pages of the chain) and `GET /v1/audit/checkpoint` (signed head).
struct AuditRoutes {
    let governance: Governance
    let signingKey: Data
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io
        let keyBytes = signingKey
        table.add(.get, "/v1/audit")
        router.get("/v1/audit") { req, _ in
            _ = try auth.require(.read, req)
            let limit = try req.intQuery("limit", default: 100, range: 1...1000)
            var after: Int64 = 0
            if let c = req.uri.queryParameters.get("cursor") {
                guard let v = PageCursor.decode(c), let seq = Int64(v), seq >= 0 else { throw KeywardError(.badRequest, "cursor is not valid") }
                after = seq
            }
            let records = try await m.auditPage(after: after, limit: limit + 1)
            let items = Array(records.prefix(limit))
            let next = records.count > limit ? items.last.map { PageCursor.encode(String($0.seq)) } : nil
            return try io.respond(ListResponse(items: items.map(AuditRecordResponse.init), nextCursor: next))
        }
        table.add(.get, "/v1/audit/checkpoint")
        router.get("/v1/audit/checkpoint") { req, _ in
            _ = try auth.require(.read, req)
            let head = try await m.auditHead()
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
            let cp = try AuditCheckpoint.sign(seq: head.seq, hash: head.hash, with: key)
            return try io.respond(CheckpointResponse(seq: cp.seq, hash: cp.hash, signature: cp.signature, publicKey: cp.publicKey))
        }
    }
}
