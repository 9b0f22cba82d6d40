import Foundation
import KeywardCore
import Testing

/// Rotation closed by observed migration (issue 15) as a pure value: `RotationProgress.decide`
/// on fixed instants. Rotated at t0 with a 1-day grace, a 15-minute quiet period and a 7-day
/// hard maximum unless a test says otherwise.
@Suite("rotation progress as values")
struct RotationProgressTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let quiet: TimeInterval = 900
    static func at(_ s: TimeInterval) -> Date { t0.addingTimeInterval(s) }

    static func progress(_ consumers: [RotationConsumer], grace: TimeInterval = 86_400, hardMax: TimeInterval = 7 * 86_400) -> RotationProgress {
        RotationProgress(rotatedAt: t0, graceUntil: at(grace), quietPeriod: quiet, hardMaximum: at(hardMax), consumers: consumers)
    }

    static func declared(_ name: String, old: TimeInterval? = nil, new: TimeInterval? = nil) -> RotationConsumer {
        RotationConsumer(id: "csm_\(name)", name: name, kind: .declared, lastOld: old.map(at), lastNew: new.map(at))
    }

    static func observed(_ id: String, old: TimeInterval? = nil, new: TimeInterval? = nil) -> RotationConsumer {
        RotationConsumer(id: id, name: "10.0.0.9 curl/8", kind: .observed, lastOld: old.map(at), lastNew: new.map(at))
    }

    @Test("no traffic at all: waits out one quiet period from the rotation, then closes as migrated")
    func noTraffic() {
        let p = Self.progress([])
        #expect(p.decide(at: Self.at(899)) == .wait)
        #expect(p.decide(at: Self.at(900)) == .close(.migrated, lagging: []))
        #expect(p.closesIfQuietAt(now: Self.at(10)) == Self.at(900))
        // A declared consumer never seen with either version does not hold it open.
        #expect(Self.progress([Self.declared("billing")]).decide(at: Self.at(900)) == .close(.migrated, lagging: []))
    }

    @Test("consumers that switched: closes one quiet period after the last old-version use, not before")
    func switched() {
        // billing used v1 until 10 min after the rotation, then v2; an observed source did the same at 20 min.
        let consumers = [Self.declared("billing", old: 600, new: 1_200), Self.observed("src1", old: 1_200, new: 1_500)]
        let p = Self.progress(consumers)
        #expect(p.status(of: consumers[0], at: Self.at(1_600)) == .migrated)
        #expect(p.status(of: consumers[1], at: Self.at(1_600)) == .lagging)
        #expect(p.decide(at: Self.at(2_099)) == .wait)
        #expect(p.decide(at: Self.at(2_100)) == .close(.migrated, lagging: []))
        // Old-version use before the rotation is not lag: the quiet period counts from the rotation.
        let before = Self.progress([Self.declared("billing", old: -60, new: 30)])
        #expect(before.status(of: before.consumers[0], at: Self.at(31)) == .migrated)
        #expect(before.decide(at: Self.at(900)) == .close(.migrated, lagging: []))
    }

    @Test("a declared consumer that lags keeps it open; near the window's end it is extended by two quiet periods, audited as lagging")
    func lagging() {
        let billing = Self.declared("billing", old: 86_000, new: nil)
        let p = Self.progress([billing])
        #expect(p.status(of: billing, at: Self.at(86_100)) == .lagging)
        // More than one quiet period left: wait (no extension per tick).
        #expect(Self.progress([Self.declared("billing", old: 80_000)]).decide(at: Self.at(80_100)) == .wait)
        // Less than one quiet period left: extend to now + 2 × quiet.
        #expect(p.decide(at: Self.at(86_000)) == .extend(to: Self.at(86_000 + 1_800), lagging: [billing]))
        // An observed source that lags neither extends nor blocks beyond the quiet rule.
        let o = Self.progress([Self.observed("src", old: 80_000)])
        #expect(o.decide(at: Self.at(80_100)) == .wait)
        #expect(o.decide(at: Self.at(80_900)) == .close(.migrated, lagging: []))
    }

    @Test("a lagging consumer that goes quiet: closes once it is quiet for the quiet period if it presented the new version; pending blocks the early close otherwise")
    func goesQuiet() {
        let moved = Self.progress([Self.declared("billing", old: 3_000, new: 3_100)])
        #expect(moved.decide(at: Self.at(3_899)) == .wait)
        #expect(moved.decide(at: Self.at(3_900)) == .close(.migrated, lagging: []))
        // Stopped using the old version but never presented the new one: pending, so only the window's own end closes it.
        let stopped = Self.progress([Self.declared("billing", old: 3_000)])
        #expect(stopped.status(of: stopped.consumers[0], at: Self.at(3_900)) == .pending)
        #expect(stopped.closesIfQuietAt(now: Self.at(3_900)) == nil)
        #expect(stopped.decide(at: Self.at(50_000)) == .wait)
        #expect(stopped.decide(at: Self.at(86_400)) == .close(.graceEnded, lagging: []))
        // The same for a consumer seen only before the rotation: it holds the key and has not shown it switched.
        #expect(Self.progress([Self.declared("billing", old: -3_600)]).decide(at: Self.at(5_000)) == .wait)
    }

    @Test("hard maximum: extensions stop there, and the window closes at it even while a declared consumer lags, naming it")
    func hardMaximum() {
        // Grace 1 day, hard max 2 days; billing keeps using v1.
        let billing = Self.declared("billing", old: 171_800)
        var p = Self.progress([billing], hardMax: 172_800)
        p.graceUntil = Self.at(172_000)
        // The extension is capped at the hard maximum.
        #expect(p.decide(at: Self.at(171_900)) == .extend(to: Self.at(172_800), lagging: [billing]))
        let later = Self.declared("billing", old: 172_500)
        p.consumers = [later]
        p.graceUntil = Self.at(172_800)
        #expect(p.decide(at: Self.at(172_700)) == .wait)
        #expect(p.decide(at: Self.at(172_800)) == .close(.hardMaximum, lagging: [later]))
        // A window that ends with nobody lagging ends as grace_ended.
        #expect(Self.progress([Self.observed("x", old: 86_300)]).decide(at: Self.at(86_400)) == .close(.graceEnded, lagging: []))
    }

    @Test("a consumer source matches on every attribute it gives, exactly; an empty entry matches nothing")
    func consumerSourceMatch() {
        let byIP = ConsumerSource(ip: "10.0.0.7")
        #expect(byIP.matches(ip: "10.0.0.7", userAgent: "curl/8", clientCertSubject: nil, clientCertThumbprint: nil))
        #expect(!byIP.matches(ip: "10.0.0.70", userAgent: nil, clientCertSubject: nil, clientCertThumbprint: nil))
        let both = ConsumerSource(ip: "10.0.0.7", userAgent: "billing/2")
        #expect(!both.matches(ip: "10.0.0.7", userAgent: "curl/8", clientCertSubject: nil, clientCertThumbprint: nil))
        #expect(both.matches(ip: "10.0.0.7", userAgent: "billing/2", clientCertSubject: "CN=x", clientCertThumbprint: nil))
        #expect(!ConsumerSource().matches(ip: nil, userAgent: nil, clientCertSubject: nil, clientCertThumbprint: nil))
    }
}
