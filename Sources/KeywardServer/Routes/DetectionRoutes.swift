import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardVerify

/// `/v1/detections`: what the detectors at the verify point found, and an admin's release.
struct DetectionRoutes {
    let governance: Governance
    let engine: DetectionEngine
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io, engine = engine

        table.add(.get, "/v1/detections")
        router.get("/v1/detections") { req, _ in
            _ = try auth.require(.read, req)
            let q = req.uri.queryParameters
            var filter = DetectionFilter()
            if let d = q.get("detector") {
                guard let k = DetectorKind(rawValue: d) else {
                    throw KeywardError(.badRequest, "detector must be one of \(DetectorKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.detector = k
            }
            if let s = q.get("status") {
                guard let st = DetectionStatus(rawValue: s) else { throw KeywardError(.badRequest, "status must be open or released") }
                filter.status = st
            }
            if let k = q.get("key_id") {
                guard let id = KeyID(k) else { throw KeywardError(.badRequest, "key_id must be a key id") }
                filter.keyID = id
            }
            if let i = q.get("identity_id") {
                guard let id = IdentityID(i) else { throw KeywardError(.badRequest, "identity_id must be an identity id") }
                filter.identityID = id
            }
            if let s = q.get("source") {
                guard !s.isEmpty, s.utf8.count <= 256 else { throw KeywardError(.badRequest, "source is 1 to 256 bytes") }
                filter.source = String(s)
            }
            let limit = try req.intQuery("limit", default: 50, range: 1...500)
            let page = try await m.detections(filter, limit: limit, after: try req.cursorQuery(DetectionID.self))
            return try io.respond(ListResponse(items: page.items.map(DetectionResponse.init), nextCursor: page.nextCursor))
        }
        table.add(.get, "/v1/detections/{id}")
        router.get("/v1/detections/{id}") { req, ctx in
            _ = try auth.require(.read, req)
            return try io.respond(DetectionResponse(try await m.detection(try ctx.pathID(DetectionID.self))))
        }
        table.add(.post, "/v1/detections/{id}/release")
        router.post("/v1/detections/{id}/release") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(DetectionID.self)
            let body = try await io.decode(DetectionReleaseRequest.self, from: req)
            let d = try await m.releaseDetection(id, reason: body.reason, actor: actor)
            if d.action == .block, let ip = d.source { engine.unblock(ip) }
            return try io.respond(DetectionResponse(d))
        }
    }
}

extension DetectionResponse {
    init(_ d: DetectionRecord) {
        let e = d.evidence
        self.init(id: d.id.description, detector: d.detector.rawValue, action: d.action.rawValue, status: d.status.rawValue,
                  keyId: d.keyID?.description, clientId: d.clientID?.description, identityId: d.identityID?.description,
                  environment: d.environment, source: d.source, at: d.at,
                  evidence: DetectionEvidenceDTO(windowSeconds: e.windowSeconds, count: e.count, baseline: e.baseline, threshold: e.threshold,
                                                 sources: e.sources, items: e.items, summary: e.summary),
                  incidentId: d.incidentID?.description, blockedUntil: d.blockedUntil, releasedAt: d.releasedAt, releasedBy: d.releasedBy,
                  releaseReason: d.releaseReason)
    }
}
