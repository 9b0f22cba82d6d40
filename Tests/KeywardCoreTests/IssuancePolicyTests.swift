import Foundation
import KeywardCore
import Testing

@Suite("Issuance policy")
struct IssuancePolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func identity(owner: String? = "alice", purpose: String? = "billing", scopes: [String] = ["a:read", "a:write"]) -> Identity {
        Identity(id: .random(), name: "svc", kind: .service, businessOwner: "biz", technicalOwner: owner, purpose: purpose,
                 environment: "production", dataClassification: .internal, labels: [:], allowedScopes: scopes.compactMap(Scope.init),
                 createdAt: now, updatedAt: now)
    }

    func request(_ scopes: [String] = ["a:read"], env: KeyEnvironment = .live, lifetime: TimeInterval? = nil, nonExpiring: Bool = false, reason: String? = nil) -> IssuancePolicy.Request {
        .init(scopes: scopes.compactMap(Scope.init), environment: env, lifetime: lifetime, nonExpiring: nonExpiring, exceptionReason: reason)
    }

    func rule(_ d: PolicyDecision) -> String? {
        if case .deny(let rule, _) = d { return rule }
        return nil
    }

    @Test("defaults: 30-day lifetime when none is asked")
    func defaults() {
        #expect(IssuancePolicy().decide(request(), for: identity(), now: now) == .allow(expiresAt: now.addingTimeInterval(30 * 86_400)))
    }

    @Test("refuses an identity without technical owner or purpose")
    func ownerAndPurpose() {
        let p = IssuancePolicy()
        #expect(rule(p.decide(request(), for: identity(owner: nil), now: now)) == "identity.technical_owner_required")
        #expect(rule(p.decide(request(), for: identity(owner: "  "), now: now)) == "identity.technical_owner_required")
        #expect(rule(p.decide(request(), for: identity(purpose: nil), now: now)) == "identity.purpose_required")
    }

    @Test("refuses scopes outside the identity's allowed scopes and reserved keyward: scopes")
    func scopes() {
        let p = IssuancePolicy()
        #expect(rule(p.decide(request(["a:admin"]), for: identity(), now: now)) == "scopes.outside_allowed")
        #expect(rule(p.decide(request(["keyward:admin"]), for: identity(scopes: ["keyward:admin"]), now: now)) == "scopes.reserved_namespace")
        #expect(rule(p.decide(request([]), for: identity(), now: now)) == "scopes.required")
    }

    @Test("lifetime maxima per environment: live 90 days, test 30 days")
    func lifetimes() {
        let p = IssuancePolicy()
        #expect(rule(p.decide(request(lifetime: 90 * 86_400), for: identity(), now: now)) == nil)
        #expect(rule(p.decide(request(lifetime: 90 * 86_400 + 1), for: identity(), now: now)) == "lifetime.exceeds_maximum")
        #expect(rule(p.decide(request(env: .test, lifetime: 30 * 86_400 + 1), for: identity(), now: now)) == "lifetime.exceeds_maximum")
        #expect(rule(p.decide(request(lifetime: 0), for: identity(), now: now)) == "lifetime.not_positive")
    }

    @Test("a non-expiring key needs an explicit exception with a reason")
    func exceptions() {
        let p = IssuancePolicy()
        #expect(rule(p.decide(request(nonExpiring: true), for: identity(), now: now)) == "lifetime.non_expiring_requires_exception")
        #expect(p.decide(request(nonExpiring: true, reason: "legacy partner"), for: identity(), now: now) == .allowWithException(expiresAt: nil, exception: "legacy partner"))
        var strict = IssuancePolicy()
        strict.allowExceptions = false
        #expect(rule(strict.decide(request(nonExpiring: true, reason: "x"), for: identity(), now: now)) == "lifetime.non_expiring_forbidden")
    }

    @Test("a decommissioned identity gets nothing")
    func decommissioned() {
        var i = identity()
        i.status = .decommissioned
        #expect(rule(IssuancePolicy().decide(request(), for: i, now: now)) == "identity.decommissioned")
    }

    @Test("lifetimes are told in days and hours, the units they are set in, never in bare seconds")
    func lifetimesInWords() {
        #expect(Lifetime.describe(90 * 86_400) == "90 days")
        #expect(Lifetime.describe(86_400 + 6 * 3_600) == "1 day 6 hours")
        #expect(Lifetime.describe(12 * 3_600) == "12 hours")
        #expect(Lifetime.describe(90 * 60) == "1 hour 30 minutes")
        #expect(Lifetime.describe(300) == "5 minutes")
        #expect(Lifetime.describe(45) == "45 seconds")
    }
}
