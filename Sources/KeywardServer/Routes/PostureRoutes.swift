import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import NIOCore
import Synchronization

/// `/v1/posture`: the inventory against the OWASP NHI Top 10, computed from Keyward's own data;
/// `/v1/reviews` and `/v1/identities/{id}/confirm`: recertification by the owners.
struct PostureRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO
    let cache: PostureCache

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let auth = auth, io = io, cache = cache
        table.add(.get, "/v1/posture")
        router.get("/v1/posture") { req, _ in
            _ = try auth.require(.read, req)
            return try io.respond(PostureResponse(try await cache.fresh()))
        }
        table.add(.get, "/v1/posture/trend")
        router.get("/v1/posture/trend") { req, _ in
            _ = try auth.require(.read, req)
            let days = try req.intQuery("days", default: 30, range: Governance.postureTrendDays)
            let items = try await cache.governance.postureTrend(days: days).map(PostureSnapshotDTO.init)
            return try io.respond(ListResponse(items: items, nextCursor: nil))
        }
        table.add(.get, "/v1/reviews")
        router.get("/v1/reviews") { req, _ in
            _ = try auth.require(.read, req)
            let horizon = try req.intQuery("horizon_days", default: 14, range: Governance.reviewHorizonDays)
            return try io.respond(ListResponse(items: try await cache.governance.reviewCampaign(horizonDays: horizon).map(ReviewItemResponse.init), nextCursor: nil))
        }
        table.add(.post, "/v1/identities/{id}/confirm")
        router.post("/v1/identities/{id}/confirm") { req, ctx in
            let actor = try auth.require(.admin, req)
            let id = try ctx.pathID(IdentityID.self)
            let body = try await io.decode(IdentityConfirmRequest.self, from: req, emptyIsObject: true)
            return try io.respond(ReviewItemResponse(try await cache.governance.confirmIdentity(id, note: body.note, actor: actor)))
        }
        table.add(.get, "/v1/posture/report")
        router.get("/v1/posture/report") { req, _ in
            _ = try auth.require(.read, req)
            return try PostureReportPage.response(PostureResponse(try await cache.fresh()))
        }
    }
}

extension ReviewItemResponse {
    init(_ r: ReviewItem) {
        self.init(identityId: r.identity.id.description, name: r.identity.name, kind: r.identity.kind.rawValue, environment: r.identity.environment,
                  owner: r.owner, lastConfirmedAt: r.lastConfirmedAt, dueAt: r.dueAt, overdueDays: r.overdueDays)
    }
}

extension PostureSnapshotDTO {
    init(_ s: PostureSnapshot) {
        self.init(day: s.day, takenAt: s.takenAt, overallScore: s.overallScore,
                  risks: s.risks.map { PostureSnapshotRiskDTO(id: $0.id, score: $0.score, findings: $0.findings) })
    }
}

extension PostureResponse {
    init(_ r: PostureReport) {
        self.init(generatedAt: r.generatedAt, overallScore: r.overallScore, risks: r.risks.map { risk in
            PostureRiskDTO(id: risk.risk.rawValue, title: risk.risk.title, score: risk.score, checks: risk.checks, noData: risk.noData,
                           metrics: risk.metrics.sorted { $0.key < $1.key }.map { PostureMetricDTO(name: $0.key, value: $0.value) },
                           findings: risk.findings.map {
                               PostureFindingDTO(subjectKind: $0.subject.kind, subjectId: $0.subject.id, subjectName: $0.subject.name, owner: $0.owner,
                                                 severity: $0.severity.rawValue, evidence: $0.evidence, fix: $0.fix)
                           })
        })
    }
}

/// The last posture computed, for `/metrics`: a scrape reuses it while it is younger than
/// `maxAge` and computes it again after (a posture reads the whole inventory, so not on every
/// scrape); `GET /v1/posture` always computes it and leaves it here.
final class PostureCache: Sendable {
    let governance: Governance
    let maxAge: Duration
    private let last = Mutex<(at: ContinuousClock.Instant, report: PostureReport)?>(nil)

    init(governance: Governance, maxAge: Duration = .seconds(300)) {
        self.governance = governance
        self.maxAge = maxAge
    }

    func fresh() async throws -> PostureReport {
        let r = try await governance.posture()
        last.withLock { $0 = (ContinuousClock.now, r) }
        return r
    }

    /// The cached report while young enough, else a fresh one; nil when it cannot be computed.
    func recent() async -> PostureReport? {
        if let (at, r) = last.withLock({ $0 }), ContinuousClock.now - at < maxAge { return r }
        return try? await fresh()
    }

    /// `keyward_posture_score{risk}`, `keyward_posture_findings{risk,severity}` and the overall
    /// score; a risk without data has no score series.
    static func series(_ r: PostureReport, into e: inout Exposition) {
        e.family("keyward_posture_score", "gauge", "Posture score per OWASP NHI Top 10 risk (0-100; absent when Keyward has no data for it).",
                 r.risks.compactMap { risk in risk.score.map { ([("risk", risk.risk.rawValue)], String($0)) } })
        e.family("keyward_posture_findings", "gauge", "Posture findings per OWASP NHI Top 10 risk and severity.",
                 r.risks.flatMap { risk in
                     [PostureSeverity.low, .medium, .high].map { sev in
                         ([("risk", risk.risk.rawValue), ("severity", sev.rawValue)], String(risk.findings.filter { $0.severity == sev }.count))
                     }
                 })
        if let overall = r.overallScore { e.gauge("keyward_posture_overall_score", "Mean of the scored OWASP NHI Top 10 risks (0-100).", overall) }
    }
}
