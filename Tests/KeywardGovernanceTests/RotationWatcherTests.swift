import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardTesting
import KeywardVerify
import Synchronization
import Testing

/// Rotation closed by observed migration (issue 15) on a real store: verifies recorded by the
/// verifier, flushed by the watcher's own pass, decided on the manual clock. Declared consumers
/// are recognised by their source address; anything else is an observed consumer.
@Suite("rotation closed by observed migration")
struct RotationWatcherTests {
    static let billingIP = "10.0.0.7"
    static let reportsIP = "10.0.0.8"

    static func watcher(_ h: GovernanceHarness) -> RotationWatcher {
        RotationWatcher(governance: h.governance, logger: h.logs.logger()) { await h.usage.flush() }
    }

    /// A key with two declared consumers, each recognised by its address and each seen on v1.
    static func setUp(_ h: GovernanceHarness) async throws -> (APIKey, Secret, [Consumer]) {
        let idn = try await h.identity()
        let (key, v1) = try await h.issue(idn.id)
        var consumers: [Consumer] = []
        for (name, ip) in [("billing", billingIP), ("reports", reportsIP)] {
            consumers.append(try await h.governance.createConsumer(NewConsumer(name: name, kind: "deployment", environment: "production", contact: nil,
                                                                               holds: [key.id.description], sources: [ConsumerSource(ip: ip)]),
                                                                   actor: GovernanceHarness.admin))
            #expect(try h.verify(v1, source: VerifySource(ip: ip, userAgent: "\(name)/1")).valid)
        }
        h.clock.advance(by: 1) // those uses come before the rotation
        return (key, v1, consumers)
    }

    static func status(_ r: RotationReport, _ name: String) -> MigrationStatus? {
        r.consumers.first { $0.consumer.name == name }?.status
    }

    @Test("closes early once every consumer switched, and stays open (extended, announced) while a declared one lags", arguments: Backend.allCases)
    func closesEarlyAndStaysOpenWhileLagging(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let hook = try await h.subscribeAll()
            let (key, v1, consumers) = try await Self.setUp(h)
            let watcher = Self.watcher(h)
            let rotatedAt = h.clock.now
            let (_, v2) = try await h.governance.rotateKey(key.id, graceSeconds: 3_600, actor: GovernanceHarness.admin)

            // A minute later: billing and an undeclared source present v2; reports still presents v1.
            h.clock.advance(by: 60)
            #expect(try h.verify(v2, source: VerifySource(ip: Self.billingIP, userAgent: "billing/2")).valid)
            #expect(try h.verify(v2, source: VerifySource(ip: "192.0.2.50", userAgent: "cron/1")).valid)
            #expect(try h.verify(v1, source: VerifySource(ip: Self.reportsIP, userAgent: "reports/1")).valid)
            #expect(try await watcher.tick().isEmpty, "nothing to do an hour before the window ends")
            var report = try await h.governance.rotationReport(of: key.id)
            #expect(Self.status(report, "billing") == .migrated && Self.status(report, "reports") == .lagging)
            let observed = try #require(report.consumers.first { $0.consumer.kind == .observed })
            #expect(observed.status == .migrated && observed.source?.ip == "192.0.2.50" && observed.newUses == 1)
            #expect(report.consumers.first { $0.consumer.name == "reports" }?.oldUses == 2)
            #expect(report.closesIfQuietAt == nil, "reports lags: no early close")

            // Ten minutes before the end reports still uses v1: the window is extended by two quiet periods.
            h.clock.advance(by: 3_600 - 60 - 600)
            #expect(try h.verify(v1, source: VerifySource(ip: Self.reportsIP)).valid)
            let extended = try await watcher.tick()
            let until = h.clock.now.addingTimeInterval(1_800)
            #expect(extended.map(\.decision) == [.extend(to: until, lagging: [RotationConsumer(
                id: consumers[1].id.description, name: "reports", kind: .declared, lastOld: h.clock.now, lastNew: nil)])])
            let lagging = try #require(try await h.queued(hook.id).last { $0.event == "key.rotation_lagging" })
            #expect(lagging.payload.contains(#""lagging":"reports""#) && lagging.payload.contains(#""grace_until":"\#(until.unixMillis)""#))
            #expect(lagging.payload.contains(#""lagging_ids":"\#(consumers[1].id)""#) && lagging.payload.contains(#""version":"1""#))

            // reports switches at once; past the original window's end the old version still verifies
            // (checked without recording a use); a quiet period after its last v1 use the window closes as migrated.
            #expect(try h.verify(v2, source: VerifySource(ip: Self.reportsIP)).valid)
            h.clock.advance(by: 700)
            #expect(try h.verifier.verify(v1.reveal(), recordUsage: false).valid)
            h.clock.advance(by: 199)
            #expect(try await watcher.tick().isEmpty)
            h.clock.advance(by: 1)
            let closed = try await watcher.tick()
            #expect(closed.map(\.decision) == [.close(.migrated, lagging: [])])
            #expect(try h.verifier.verify(v1.reveal(), recordUsage: false).reason == .rotated, "closed early: the old version answers rotated")
            #expect(try h.verifier.verify(v2.reveal(), recordUsage: false).valid)
            report = try await h.governance.rotationReport(of: key.id)
            #expect(!report.isOpen && report.rotation.closeReason == .migrated && report.graceUntil == h.clock.now && report.rotation.extensions == 1)
            #expect(report.consumers.allSatisfy { $0.status == .migrated })
            #expect(report.rotation.rotatedAt == rotatedAt)
            #expect(try await watcher.tick().isEmpty, "a closed rotation is not decided again")

            let records = try await h.audit()
            let close = try #require(records.last { $0.action == "key.rotation_closed" })
            #expect(close.actor == "system" && close.target == key.id.description && close.details.contains(#""reason":"migrated""#))
            #expect(records.contains { $0.action == "key.rotation_extended" && $0.details.contains("reports") })
            #expect(try await h.queued(hook.id).contains { $0.event == "key.rotation_closed" && $0.payload.contains(#""reason":"migrated""#) })
            // The audit log accounts for the moved grace ends (what `keyward audit verify` replays).
            let replay = AuditReplay.replay(records)
            #expect(replay.keys[key.id]?.versions.first?.graceUntil == h.clock.now.unixMillis)
            for r in records { #expect(!r.details.contains(v1.reveal()) && !r.details.contains(v2.reveal())) }
        }
    }

    @Test("the hard maximum ends extensions: the window closes there while a declared consumer still lags, audited and announced with its name", arguments: Backend.allCases)
    func hardMaximum(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let hook = try await h.subscribeAll()
            let (key, v1, _) = try await Self.setUp(h)
            let watcher = Self.watcher(h)
            let start = h.clock.now
            _ = try await h.governance.rotateKey(key.id, graceSeconds: 3_600, quietPeriodSeconds: 900, maxGraceSeconds: 5_400, actor: GovernanceHarness.admin)
            // reports never switches; billing presents nothing at all after the rotation.
            for t in [3_000.0, 4_500, 5_300] {
                h.clock.advance(by: start.addingTimeInterval(t).timeIntervalSince(h.clock.now))
                #expect(try h.verify(v1, source: VerifySource(ip: Self.reportsIP)).valid)
                _ = try await watcher.tick()
            }
            var report = try await h.governance.rotationReport(of: key.id)
            #expect(report.graceUntil == start.addingTimeInterval(5_400) && report.rotation.extensions == 2, "extended twice, the second time only to the hard maximum")
            h.clock.advance(by: 100)
            #expect(try h.verify(v1).reason == .rotated)
            let closed = try await watcher.tick()
            guard case .close(.hardMaximum, let lagging)? = closed.first?.decision else { Issue.record("expected a close at the hard maximum: \(closed)"); return }
            #expect(lagging.map(\.name) == ["reports"])
            report = try await h.governance.rotationReport(of: key.id)
            #expect(report.rotation.closeReason == .hardMaximum && Self.status(report, "reports") == .lagging && Self.status(report, "billing") == .pending)
            let close = try #require(try await h.audit().last { $0.action == "key.rotation_closed" })
            #expect(close.details.contains(#""reason":"hard_maximum""#) && close.details.contains(#""lagging":"reports""#))
            #expect(try await h.queued(hook.id).contains { $0.event == "key.rotation_closed" && $0.payload.contains("hard_maximum") })

            // A max_grace below the grace window means no extension; a quiet period of 0 is refused.
            let rotatedAgain = h.clock.now
            _ = try await h.governance.rotateKey(key.id, graceSeconds: 3_600, maxGraceSeconds: 60, actor: GovernanceHarness.admin)
            let again = try await h.governance.rotationReport(of: key.id)
            #expect(again.rotation.fromVersion == 2 && again.rotation.hardMaximum == rotatedAgain.addingTimeInterval(3_600))
            await #expect(throws: KeywardError.self) {
                try await h.governance.rotateKey(key.id, graceSeconds: 60, quietPeriodSeconds: 0, actor: GovernanceHarness.admin)
            }
        }
    }

    /// Counts the watcher's flushes (the runtime's flush is the paced one).
    final class Flushes: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test("a pass flushes usage only when a rotation is open: otherwise the flusher's own timer writes it", arguments: Backend.allCases)
    func flushesOnlyWithAnOpenRotation(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let flushes = Flushes()
            let watcher = RotationWatcher(governance: h.governance, logger: h.logs.logger()) {
                flushes.count.add(1, ordering: .relaxed)
                await h.usage.flush(paced: true)
            }
            let (key, v1, _) = try await Self.setUp(h)
            #expect(try await watcher.tick().isEmpty)
            #expect(flushes.count.load(ordering: .relaxed) == 0, "no open rotation: nothing to decide, so no flush")

            _ = try await h.governance.rotateKey(key.id, graceSeconds: 3_600, actor: GovernanceHarness.admin)
            h.clock.advance(by: 60)
            #expect(try h.verify(v1, source: VerifySource(ip: Self.reportsIP)).valid)
            _ = try await watcher.tick()
            #expect(flushes.count.load(ordering: .relaxed) == 1)
            #expect(await h.usage.flush() == 0, "the pass wrote every use recorded before it")
            let report = try await h.governance.rotationReport(of: key.id)
            #expect(Self.status(report, "reports") == .lagging, "its use of v1 after the rotation was flushed by the pass")
        }
    }

    @Test("with no traffic after the rotation it closes one quiet period later, unless a declared consumer that used the key has not presented the new version", arguments: Backend.allCases)
    func noTraffic(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let (key, _, _) = try await Self.setUp(h)
            let (quietKey, quietV1) = try await h.issue(key.identityID)
            let watcher = Self.watcher(h)
            _ = try await h.governance.rotateKey(quietKey.id, graceSeconds: 86_400, actor: GovernanceHarness.admin)
            _ = try await h.governance.rotateKey(key.id, graceSeconds: 86_400, actor: GovernanceHarness.admin)
            h.clock.advance(by: 900)
            let actions = try await watcher.tick()
            #expect(actions == [RotationAction(keyID: quietKey.id, version: 1, decision: .close(.migrated, lagging: []))])
            #expect(try h.verify(quietV1).reason == .rotated)
            let held = try await h.governance.rotationReport(of: key.id)
            #expect(held.isOpen && Self.status(held, "billing") == .pending && held.closesIfQuietAt == nil)
        }
    }
}
