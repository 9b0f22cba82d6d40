import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import KeywardVerify
import Testing

/// Least privilege from observed use and dormant keys (issue 15): the review reads the usage
/// the verify index recorded (flushed by hand), applying it narrows keys in one audited write
/// that the verify index sees, on a real store and a manual clock.
@Suite("Governance: least privilege and dormant keys")
struct PrivilegeTests {
    static let admin = GovernanceHarness.admin
    static let day: TimeInterval = 86_400
    static let four = ["orders:export", "orders:read", "orders:refund", "orders:write"]

    static func refusal(_ call: () async throws -> some Any) async -> KeywardError? {
        do { _ = try await call(); return nil } catch { return error as? KeywardError }
    }

    static func orders(_ h: GovernanceHarness) async throws -> Identity {
        try await h.governance.createIdentity(NewIdentity(
            name: "orders-api", kind: .service, businessOwner: "orders", technicalOwner: "bob@example.com", purpose: "takes orders",
            environment: "production", dataClassification: .internal, labels: [:], allowedScopes: four), actor: admin)
    }

    static func scopes(_ s: [Scope]?) -> [String]? { s?.map(\.value) }

    @Test("a key that named 2 of its 4 scopes is proposed those 2; a key used without naming scopes gets no proposal; unused is dormant, young is insufficient_history; OAuth clients are listed", arguments: Backend.allCases)
    func review(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await Self.orders(h)
            let (wide, wideSecret) = try await h.issue(idn.id, scopes: Self.four)
            let (plain, plainSecret) = try await h.issue(idn.id, scopes: ["orders:read", "orders:write"])
            let (idle, _) = try await h.issue(idn.id, scopes: ["orders:read"])
            // Named once on its first day: before the 7-day window that ends 8 days later.
            h.clock.advance(by: 3_600)
            #expect(try h.verify(wideSecret, scopes: ["orders:refund"]).valid)
            h.clock.advance(by: 8 * Self.day)
            for _ in 0..<3 { #expect(try h.verify(wideSecret, scopes: ["orders:read"]).valid) }
            #expect(try h.verify(wideSecret, scopes: ["orders:write"]).valid)
            #expect(try h.verify(wideSecret).valid)
            // Refused verifies are no evidence of use.
            #expect(try h.verify(plainSecret, scopes: ["orders:refund"]).reason == .insufficientScope)
            for _ in 0..<2 { #expect(try h.verify(plainSecret).valid) }
            let (young, _) = try await h.issue(idn.id, scopes: ["orders:read"])
            let client = try await h.governance.registerClient(ClientGovernanceTests.newClient(idn.id, jwk: ClientGovernanceTests.jwk().json, scope: "orders:read"),
                                                               actor: Self.admin)
            _ = await h.usage.flush()

            let p = try await h.governance.privilege(of: idn.id, windowDays: 7)
            #expect(p.keys.count == 4)
            let byID = Dictionary(uniqueKeysWithValues: p.keys.map { ($0.key.id, $0) })
            let w = try #require(byID[wide.id])
            #expect(w.review.basis == .observed)
            #expect(Self.scopes(w.review.proposed) == ["orders:read", "orders:write"])
            #expect(w.review.unused.map(\.value) == ["orders:export", "orders:refund"])
            #expect(w.review.exercised.map { "\($0.scope.value)=\($0.uses)" } == ["orders:read=3", "orders:write=1"])
            #expect(w.review.seenBefore.map(\.scope.value) == ["orders:refund"], "a scope named only before the window is unused in it")
            #expect(w.review.narrows && w.validUses == 5)

            let n = try #require(byID[plain.id])
            #expect(n.review.basis == .noScopeObservations && n.review.proposed == nil && !n.review.narrows)
            #expect(n.validUses == 2)
            #expect(byID[idle.id]?.review.basis == .dormant && byID[idle.id]?.review.proposed == nil)
            #expect(byID[young.id]?.review.basis == .insufficientHistory && byID[young.id]?.review.proposed == nil)

            // Token verifies leave no per-client scope evidence: the client is listed, with no review.
            #expect(p.clients.map(\.id) == [client.id])
            #expect(p.allowedUnused.map(\.value) == ["orders:export", "orders:refund"])
            #expect(p.exercisedUnion.map(\.value) == ["orders:read", "orders:write"])
            // Over a window longer than the key's age, even the wide key has too little history.
            let long = try await h.governance.privilege(of: idn.id, windowDays: 30)
            #expect(long.keys.allSatisfy { $0.review.basis == .insufficientHistory && $0.review.proposed == nil })
        }
    }

    @Test("apply narrows to the proposal in one audited write with a webhook; a derived key is narrowed with its parent; verify then refuses the removed scope; the audit replay agrees", arguments: Backend.allCases)
    func apply(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let hook = try await h.subscribeAll()
            let idn = try await Self.orders(h)
            let (wide, wideSecret) = try await h.issue(idn.id, scopes: Self.four)
            let (child, childSecret) = try await h.issue(idn.id, scopes: ["orders:export", "orders:read"], ttl: 20 * 86_400, derivedFrom: wide.id)
            h.clock.advance(by: 8 * Self.day)
            #expect(try h.verify(wideSecret, scopes: ["orders:read"]).valid)
            #expect(try h.verify(wideSecret, scopes: ["orders:refund"]).valid)
            #expect(try h.verify(childSecret, scopes: ["orders:export"]).valid)
            _ = await h.usage.flush()
            let head = try await h.auditHead()

            let done = try await h.governance.applyPrivilege(to: idn.id, [PrivilegeChange(keyID: wide.id)], windowDays: 7, actor: Self.admin)
            #expect(done.map(\.keyID) == [wide.id, child.id])
            #expect(done[0].after.map(\.value) == ["orders:read", "orders:refund"] && done[0].reason == "observed")
            #expect(done[1].after.map(\.value) == ["orders:read"] && done[1].cascadeFrom == wide.id)

            // The verify index saw it (change feed): removed scopes are refused, kept ones valid.
            #expect(try h.verify(wideSecret, scopes: ["orders:write"]).reason == .insufficientScope)
            #expect(try h.verify(wideSecret, scopes: ["orders:export"]).reason == .insufficientScope)
            #expect(try h.verify(wideSecret, scopes: ["orders:refund"]).valid)
            #expect(try h.verify(childSecret, scopes: ["orders:export"]).reason == .insufficientScope)
            #expect(try h.verify(childSecret, scopes: ["orders:read"]).valid)
            #expect(try await h.store.key(wide.id)?.scopes.map(\.value) == ["orders:read", "orders:refund"])

            let written = try await h.audit(after: head)
            #expect(written.map(\.action) == ["key.scopes_narrowed", "key.scopes_narrowed"])
            #expect(written[0].actor == Self.admin.name && written[0].target == wide.id.description)
            #expect(written[0].details.contains(#""scopes_before":"orders:export orders:read orders:refund orders:write""#))
            #expect(written[0].details.contains(#""scopes":"orders:read orders:refund""#))
            #expect(written[0].details.contains(#""removed":"orders:export orders:write""#))
            #expect(written[0].details.contains(#""window_days":"7""#) && written[0].details.contains(#""basis":"observed""#))
            #expect(written[0].details.contains("orders:read=1@") && written[0].details.contains("orders:refund=1@"))
            #expect(written[1].details.contains(#""cascade_from":"\#(wide.id)""#))
            #expect(!written.contains { $0.details.contains(wideSecret.reveal()) || $0.details.contains(childSecret.reveal()) })
            let events = try await h.queued(hook.id)
            #expect(events.map(\.event) == ["key.scopes_narrowed", "key.scopes_narrowed"])
            #expect(events.allSatisfy { !$0.payload.contains(wideSecret.reveal()) })
            guard case .ok = try await h.store.verifyAudit(checkpoint: nil) else {
                Issue.record("audit verify disagrees with the narrowed keys")
                return
            }

            // Applying again changes nothing and writes nothing.
            let again = try await h.governance.applyPrivilege(to: idn.id, [PrivilegeChange(keyID: wide.id)], windowDays: 7, actor: Self.admin)
            #expect(again.count == 1 && !again[0].changed)
            #expect(try await h.audit(after: head).count == 2)
        }
    }

    @Test("refused: a widening (422, rule privilege.no_widening), no scope at all, no evidence without explicit scopes, a foreign key, a non-admin, Keyward's own keys, a derived key left with nothing; nothing is written", arguments: Backend.allCases)
    func refusals(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await Self.orders(h)
            let other = try await h.identity()
            let (plain, plainSecret) = try await h.issue(idn.id, scopes: ["orders:read", "orders:write"])
            let (parent, parentSecret) = try await h.issue(idn.id, scopes: ["orders:export", "orders:read"])
            let (child, _) = try await h.issue(idn.id, scopes: ["orders:export"], ttl: 20 * 86_400, derivedFrom: parent.id)
            let (foreign, _) = try await h.issue(other.id)
            h.clock.advance(by: 8 * Self.day)
            #expect(try h.verify(plainSecret).valid)
            #expect(try h.verify(parentSecret, scopes: ["orders:read"]).valid)
            _ = await h.usage.flush()
            let head = try await h.auditHead()
            func apply(_ c: [PrivilegeChange], to id: IdentityID = idn.id, days: Int = 7, actor: Principal = Self.admin) async -> KeywardError? {
                await Self.refusal { try await h.governance.applyPrivilege(to: id, c, windowDays: days, actor: actor) }
            }
            let widening = await apply([PrivilegeChange(keyID: plain.id, scopes: ["orders:read", "orders:refund"])])
            #expect(widening?.code == .policyDenied && widening?.rule == "privilege.no_widening")
            #expect(await apply([PrivilegeChange(keyID: plain.id, scopes: [])])?.code == .validation)
            #expect(await apply([PrivilegeChange(keyID: plain.id)])?.code == .conflict, "no scope observations: no proposal to apply")
            #expect(await apply([PrivilegeChange(keyID: foreign.id)])?.code == .validation)
            #expect(await apply([PrivilegeChange(keyID: plain.id, scopes: ["orders:read"])], actor: GovernanceHarness.reporter)?.code == .forbidden)
            #expect(await apply([PrivilegeChange(keyID: plain.id)], to: .keyward)?.code == .conflict)
            #expect(await apply([PrivilegeChange(keyID: plain.id, scopes: ["orders:read"])], days: 0)?.code == .validation)
            #expect(await apply([PrivilegeChange(keyID: parent.id)])?.code == .conflict, "the derived key would keep no scope")
            #expect(await apply([])?.code == .validation)
            #expect(try await h.audit(after: head).isEmpty)
            #expect(try await h.store.key(parent.id)?.scopes.map(\.value) == ["orders:export", "orders:read"], "the refused cascade rolled back")
            #expect(try await h.store.key(child.id)?.scopes.map(\.value) == ["orders:export"])

            // An explicit subset needs no evidence: the admin decided, and it is audited as such.
            let done = try await h.governance.applyPrivilege(to: idn.id, [PrivilegeChange(keyID: plain.id, scopes: ["orders:read"])], windowDays: 7, actor: Self.admin)
            #expect(done.first?.reason == "explicit" && done.first?.after.map(\.value) == ["orders:read"])
            #expect(try h.verify(plainSecret, scopes: ["orders:write"]).reason == .insufficientScope)
        }
    }

    @Test("dormant lists an active key unused for N days (never used: from creation) with its owner, not one used yesterday, a revoked or expired one, or Keyward's own", arguments: Backend.allCases)
    func dormant(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await Self.orders(h)
            let (idle, _) = try await h.issue(idn.id, scopes: ["orders:read"])
            let (busy, busySecret) = try await h.issue(idn.id, scopes: ["orders:read"])
            let (revoked, _) = try await h.issue(idn.id, scopes: ["orders:read"])
            _ = try await h.governance.revokeKey(revoked.id, reason: "test", actor: Self.admin)
            _ = try await h.issue(idn.id, scopes: ["orders:read"], ttl: 5 * 86_400)
            h.clock.advance(by: 9 * Self.day)
            #expect(try h.verify(busySecret).valid)
            _ = await h.usage.flush()
            h.clock.advance(by: Self.day)

            let page = try await h.governance.dormantKeys(days: 7, identity: nil, limit: 50, after: nil)
            #expect(page.items.map(\.key.id) == [idle.id])
            #expect(page.items.first?.technicalOwner == "bob@example.com" && page.items.first?.identityName == "orders-api")
            #expect(page.items.first?.key.lastUsedAt == nil)
            #expect(try await h.governance.dormantKeys(days: 11, identity: nil, limit: 50, after: nil).items.isEmpty, "created 10 days ago")
            #expect(try await h.governance.dormantKeys(days: 7, identity: nil, limit: 50, after: nil).items.contains { $0.key.id == busy.id } == false)
            #expect(try await h.governance.dormantKeys(days: 7, identity: h.identity(name: "other").id, limit: 50, after: nil).items.isEmpty)
            h.clock.advance(by: 7 * Self.day)
            let later = try await h.governance.dormantKeys(days: 7, identity: idn.id, limit: 1, after: nil)
            #expect(later.items.count == 1 && later.nextCursor != nil, "the busy key is dormant a week after its last use")
            #expect(await Self.refusal { try await h.governance.dormantKeys(days: 0, identity: nil, limit: 50, after: nil) }?.code == .validation)
        }
    }
}
