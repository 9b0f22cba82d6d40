import Foundation
import KeywardCore
import Testing

/// The OWASP NHI Top 10 posture checks as pure functions: each on a fixture that makes it fire
/// and on one that does not. Fixed instants; no store.
@Suite("posture checks (OWASP NHI Top 10)")
struct PostureTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static func daysAgo(_ d: Double) -> Date { now.addingTimeInterval(-d * 86_400) }

    static func identity(_ name: String = "billing", kind: IdentityKind = .service, owner: String? = "alice@example.com", env: String = "production",
                         status: IdentityStatus = .active, created: Date = daysAgo(10)) -> Identity {
        Identity(id: .random(), name: name, kind: kind, businessOwner: nil, technicalOwner: owner, purpose: "charges", environment: env,
                 dataClassification: .internal, labels: [:], allowedScopes: [], status: status, createdAt: created, updatedAt: created,
                 decommissionedAt: status == .decommissioned ? daysAgo(1) : nil)
    }

    static func key(_ of: Identity, scopes: [String] = ["billing:read"], env: KeyEnvironment = .live, expires: Date? = daysAgo(-30),
                    created: Date = daysAgo(10), used: Date? = daysAgo(1), status: KeyStatus = .active) -> APIKey {
        let v = KeyVersion(version: 1, digest: SecretDigest(hashing: Array(UUID().uuidString.utf8)), fingerprint: Fingerprint(hex: "00"), prefix: "kw_live_",
                           expiresAt: expires, createdAt: created)
        return APIKey(id: .random(), identityID: of.id, name: "k", environment: env, scopes: scopes.map { Scope($0)! }, status: status, currentVersion: 1,
                      createdAt: created, updatedAt: created, lastUsedAt: used, versions: [v])
    }

    static func credential(_ of: Identity, provider: String = "stripe", env: String = "production", fingerprint: String = "aa",
                           status: CredentialStatus = .active, created: Date = daysAgo(10)) -> Credential {
        Credential(id: .random(), identityID: of.id, name: "STRIPE_KEY", provider: provider, ruleID: nil, environment: env,
                   fingerprint: Fingerprint(hex: fingerprint), digest: nil, prefix: "sk_live_", origin: "dotenv", status: status,
                   createdAt: created, updatedAt: created)
    }

    static func consumer(_ name: String, kind: ConsumerKind = .deployment, env: String = "production", holds: [CredentialRef]) -> Consumer {
        Consumer(id: .random(), name: name, kind: kind, environment: env, contact: nil, holds: holds, createdAt: daysAgo(5))
    }

    static func risk(_ r: NHIRisk, _ input: PostureInput) -> RiskPosture {
        Posture.evaluate(input).risks.first { $0.risk == r }!
    }

    @Test("a clean inventory scores 100 on every scored risk, and each risk says what it checked")
    func clean() {
        let i = Self.identity()
        let k = Self.key(i)
        let report = Posture.evaluate(PostureInput(now: Self.now, identities: [i], keys: [k], exercisedScopes: [k.id: [Scope("billing:read")!]]))
        #expect(report.risks.map(\.risk) == NHIRisk.allCases)
        for r in report.risks where r.risk != .nhi4 {
            #expect(r.findings.isEmpty, "\(r.risk.rawValue): \(r.findings.map(\.evidence))")
            #expect(r.score == 100)
            #expect(!r.checks.isEmpty)
        }
        // A bearer API key is itself an NHI4 finding (low): a bound method is possible.
        #expect(Self.risk(.nhi4, PostureInput(now: Self.now, identities: [i], keys: [k])).findings.count == 1)
    }

    @Test("NHI1: no owner, unused, and decommissioned with live keys fire; a used, owned identity and a cleanly decommissioned one do not")
    func offboarding() {
        let unowned = Self.identity("orphan", owner: nil)
        let idle = Self.identity("idle", created: Self.daysAgo(400))
        let gone = Self.identity("gone", status: .decommissioned)
        let goneClean = Self.identity("gone-clean", status: .decommissioned)
        let busy = Self.identity("busy", created: Self.daysAgo(400))
        let keys = [Self.key(unowned), Self.key(idle, used: Self.daysAgo(200)), Self.key(gone), Self.key(goneClean, status: .revoked), Self.key(busy, used: Self.daysAgo(2))]
        let r = Self.risk(.nhi1, PostureInput(now: Self.now, identities: [unowned, idle, gone, goneClean, busy], keys: keys))
        let names = Set(r.findings.map { $0.subject.name ?? "" })
        #expect(names == ["orphan", "idle", "gone"])
        #expect(r.findings.first { $0.subject.name == "gone" }?.severity == .high)
        #expect(r.findings.first { $0.subject.name == "orphan" }?.owner == nil)
        #expect(r.findings.first { $0.subject.name == "idle" }?.owner == "alice@example.com")
        #expect(!r.noData.isEmpty) // owner confirmation is said to be missing, not scored
        #expect(r.score == 100 - 15 - 5 - 5)
    }

    @Test("NHI2: an open incident, an exposed credential and unowned exposures fire; time to contain p50/p95 is reported")
    func leakage() {
        let i = Self.identity()
        let k = Self.key(i)
        func incident(_ status: IncidentStatus, containedAfter ms: Double?) -> Incident {
            let received = Self.daysAgo(1)
            return Incident(id: .random(), status: status, target: .key(k.id), targetVersion: 1, identityID: i.id, environment: "live", source: "github",
                            classification: .valid, action: .revoke, receivedAt: received, matchedAt: received,
                            containedAt: ms.map { received.addingTimeInterval($0 / 1000) }, notifiedAt: nil, exposureCount: 1, blastRadiusJSON: "{}",
                            huntJSON: "{}", guidance: "", events: [], createdAt: received, updatedAt: received)
        }
        let quiet = Self.risk(.nhi2, PostureInput(now: Self.now, identities: [i], keys: [k], incidents: [incident(.resolved, containedAfter: 40)]))
        #expect(quiet.findings.isEmpty)
        #expect(quiet.metrics["time_to_contain_p50_ms"] == 40)
        let r = Self.risk(.nhi2, PostureInput(now: Self.now, identities: [i], keys: [k], credentials: [Self.credential(i, status: .exposed)],
                                              incidents: [incident(.open, containedAfter: nil), incident(.resolved, containedAfter: 10), incident(.contained, containedAfter: 90)],
                                              unownedExposures: 3))
        #expect(r.findings.map(\.severity).sorted() == [.medium, .medium, .high, .high])
        #expect(r.findings.contains { $0.evidence.contains("3 reported exposures") && $0.owner == nil })
        #expect(r.metrics["time_to_contain_p50_ms"] == 10)
        #expect(r.metrics["time_to_contain_p95_ms"] == 90)
    }

    @Test("NHI3: a third party's wide-scoped or never-expiring key fires; an internal service's does not")
    func thirdParty() {
        let partner = Self.identity("partner", kind: .thirdParty)
        let inhouse = Self.identity("internal")
        let keys = [Self.key(partner, scopes: ["orders:admin"]), Self.key(partner, expires: nil), Self.key(inhouse, scopes: ["orders:admin"], expires: nil)]
        let r = Self.risk(.nhi3, PostureInput(now: Self.now, identities: [partner, inhouse], keys: keys))
        #expect(r.findings.count == 2)
        #expect(r.findings.allSatisfy { $0.evidence.hasPrefix("third-party") })
    }

    @Test("NHI5: wildcard and admin scopes fire; granted-but-unused fires only with telemetry, and no telemetry is said")
    func privilege() {
        let i = Self.identity()
        let wide = Self.key(i, scopes: ["admin"])
        let unused = Self.key(i, scopes: ["billing:read", "billing:write"])
        let noTelemetry = PostureInput(now: Self.now, identities: [i], keys: [unused])
        #expect(Self.risk(.nhi5, noTelemetry).findings.isEmpty)
        #expect(!Self.risk(.nhi5, noTelemetry).noData.isEmpty)
        let r = Self.risk(.nhi5, PostureInput(now: Self.now, identities: [i], keys: [wide, unused], exercisedScopes: [unused.id: [Scope("billing:read")!]]))
        #expect(r.findings.count == 2)
        #expect(r.findings.contains { $0.subject.id == unused.id.description && $0.evidence.contains("billing:write") })
        #expect(r.findings.contains { $0.subject.id == wide.id.description && $0.severity == .high })
    }

    @Test("NHI6: a pipeline's static key and an imported cloud key fire; a service's key and a retired cloud key do not")
    func deployment() {
        let ci = Self.identity("ci", kind: .pipeline)
        let svc = Self.identity("svc")
        let aws = Self.credential(svc, provider: "aws")
        let r = Self.risk(.nhi6, PostureInput(now: Self.now, identities: [ci, svc], keys: [Self.key(ci), Self.key(svc)],
                                              credentials: [aws, Self.credential(svc, provider: "aws", status: .retired)],
                                              consumers: [Self.consumer("deploy", kind: .pipeline, holds: [.credential(aws.id)])]))
        #expect(r.findings.count == 2)
        #expect(r.findings.first { $0.subject.kind == "credential" }?.severity == .high) // held by a pipeline
    }

    @Test("NHI7: no expiry and an old version fire; a fresh expiring key does not; an old imported credential fires")
    func longLived() {
        let i = Self.identity()
        let keys = [Self.key(i, expires: nil), Self.key(i, expires: Self.daysAgo(-10), created: Self.daysAgo(200)), Self.key(i)]
        let r = Self.risk(.nhi7, PostureInput(now: Self.now, identities: [i], keys: keys, credentials: [Self.credential(i, created: Self.daysAgo(120))]))
        #expect(r.findings.count == 3)
        #expect(!r.findings.contains { $0.subject.id == keys[2].id.description })
    }

    @Test("NHI8: one secret in two environments, a consumer in another environment, a live key of a staging identity fire")
    func isolation() {
        let prod = Self.identity("prod")
        let staging = Self.identity("staging", env: "staging")
        let k = Self.key(prod)
        let r = Self.risk(.nhi8, PostureInput(now: Self.now, identities: [prod, staging], keys: [k, Self.key(staging), Self.key(staging, env: .test)],
                                              credentials: [Self.credential(prod, fingerprint: "bb"), Self.credential(staging, env: "staging", fingerprint: "bb"),
                                                            Self.credential(prod, fingerprint: "cc")],
                                              consumers: [Self.consumer("laptop", env: "dev", holds: [.key(k.id)]), Self.consumer("api", holds: [.key(k.id)])]))
        #expect(r.findings.count == 3)
        #expect(r.findings.contains { $0.evidence.contains("production and staging") })
        #expect(r.findings.contains { $0.evidence.contains("laptop") })
        #expect(r.findings.contains { $0.evidence.contains("staging") && $0.subject.kind == "key" })
    }

    @Test("NHI9: a key held by two consumers fires; one consumer per key does not; no consumers is said")
    func reuse() {
        let i = Self.identity()
        let shared = Self.key(i), own = Self.key(i)
        let r = Self.risk(.nhi9, PostureInput(now: Self.now, identities: [i], keys: [shared, own],
                                              consumers: [Self.consumer("a", holds: [.key(shared.id)]), Self.consumer("b", holds: [.key(shared.id), .key(own.id)])]))
        #expect(r.findings.map(\.subject.id) == [shared.id.description])
        #expect(Self.risk(.nhi9, PostureInput(now: Self.now, identities: [i], keys: [shared])).noData == ["consumers: none declared"])
    }

    @Test("NHI10: an open human-use detection fires once per key; a released one and other detectors do not")
    func humanUse() {
        let i = Self.identity()
        let k = Self.key(i)
        func d(_ kind: DetectorKind, _ status: DetectionStatus) -> DetectionRecord {
            DetectionRecord(id: .random(), detector: kind, action: .notify, status: status, keyID: k.id, clientID: nil, identityID: i.id, environment: "live",
                            source: "10.0.0.9", at: Self.daysAgo(1), evidence: .init(windowSeconds: 60, count: 8, threshold: 6, summary: "browser"))
        }
        let r = Self.risk(.nhi10, PostureInput(now: Self.now, identities: [i], keys: [k],
                                               detections: [d(.humanUse, .open), d(.humanUse, .open), d(.humanUse, .released), d(.volumeSpike, .open)]))
        #expect(r.findings.count == 1)
        #expect(r.findings[0].owner == "alice@example.com")
    }

    @Test("the built-in keyward identity and its management keys are left out; the overall score is the mean of the scored risks")
    func overall() {
        let builtIn = Identity(id: .keyward, name: "keyward", kind: .service, businessOwner: nil, technicalOwner: nil, purpose: nil, environment: "production",
                               dataClassification: .restricted, labels: [:], allowedScopes: [], createdAt: Self.daysAgo(500), updatedAt: Self.daysAgo(500))
        let report = Posture.evaluate(PostureInput(now: Self.now, identities: [builtIn], keys: [Self.key(builtIn, scopes: ["keyward:admin"], expires: nil)]))
        #expect(report.risks.allSatisfy { $0.findings.isEmpty })
        #expect(report.overallScore == 100)
        #expect(Posture.percentile([5, 1, 3], 50) == 3)
        #expect(Posture.percentile([], 95) == nil)
    }

    @Test("recertification: due one interval after the last confirmation (or creation), third parties sooner; overdue reviews are NHI1 and NHI3 findings; none when no records are read")
    func reviews() {
        let fresh = Self.identity("fresh", created: Self.daysAgo(10))
        let stale = Self.identity("stale", created: Self.daysAgo(200))
        let confirmed = Self.identity("confirmed", created: Self.daysAgo(200))
        let partner = Self.identity("partner", kind: .thirdParty, created: Self.daysAgo(40))
        let soon = Self.identity("soon", created: Self.daysAgo(80))
        let all = [fresh, stale, confirmed, partner, soon]
        let last = [confirmed.id: Self.daysAgo(5)]
        let campaign = Recertification.campaign(all, lastConfirmed: last, now: Self.now, policy: ReviewPolicy(), horizonDays: 14)
        #expect(Set(campaign.map(\.identity.name)) == ["stale", "partner", "soon"])
        #expect(campaign.first { $0.identity.name == "stale" }?.overdueDays == 110)
        #expect(campaign.first { $0.identity.name == "soon" }!.overdueDays < 0)
        #expect(Recertification.campaign(all, lastConfirmed: last, now: Self.now, policy: ReviewPolicy(), horizonDays: 0).count == 2)

        var input = PostureInput(now: Self.now, identities: all, keys: [])
        #expect(Self.risk(.nhi1, input).findings.isEmpty && !Self.risk(.nhi1, input).noData.isEmpty)
        input.lastConfirmed = last
        let nhi1 = Self.risk(.nhi1, input)
        #expect(nhi1.findings.map { $0.subject.name } == ["stale"] && nhi1.noData.isEmpty)
        #expect(nhi1.findings[0].evidence.contains("never confirmed"))
        let nhi3 = Self.risk(.nhi3, input)
        #expect(nhi3.findings.map { $0.subject.name } == ["partner"] && nhi3.noData.isEmpty)
    }
}
