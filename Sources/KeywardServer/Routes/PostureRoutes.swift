import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance

/// `/v1/posture`: the inventory against the OWASP NHI Top 10, computed from Keyward's own data.
struct PostureRoutes {
    let governance: Governance
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, io = io
        table.add(.get, "/v1/posture")
        router.get("/v1/posture") { req, _ in
            _ = try auth.require(.read, req)
            return try io.respond(PostureResponse(try await m.posture()))
        }
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
