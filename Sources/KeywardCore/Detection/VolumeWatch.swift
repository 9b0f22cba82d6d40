import Foundation

/// A key's call volume against what it has learned (spike and climb). Constant memory: the
/// current minute's count, two bias-corrected EWMAs of calls per minute (a quarter-hour one that
/// follows the traffic, a day-long one that is the reference until time-of-day slots are learned)
/// and 24 hour-of-day slots learned across days, so a daily peak becomes the baseline of its hour.
/// Work per call is a compare; the EWMAs move once a minute, when the first call of a new minute arrives.
package struct VolumeWatch: Sendable {
    private var minute: Int64 = .min
    private var count = 0
    private var firstMinute: Int64 = 0
    private var fast = 0.0
    private var slow = 0.0
    /// What the fast average should be: the learned profile (hour slots, or the day-long average),
    /// smoothed like the fast one, so the hour after a daily peak is compared with a reference
    /// that decays from the peak as the traffic does.
    private var expected = 0.0
    private var fastWeight = 0.0
    private var slowWeight = 0.0
    private var hour: Int64 = 0
    private var hourSum = 0.0
    private var slots = InlineArray<24, Float>(repeating: 0)
    private var slotSeen: UInt32 = 0
    private var spikeAt = Int.max
    private var alarmed = false

    /// Per minute: a quarter-hour half-life and a day's.
    private static let fastAlpha = 1 - pow(2, -1.0 / 15)
    private static let slowAlpha = 1 - pow(2, -1.0 / 1_440)
    /// A learned hour slot moves 30% toward each new day's value.
    private static let slotAlpha: Float = 0.3

    package init() {}

    /// Counts one call at `at` (ms); returns a finding when this call crosses the spike threshold,
    /// or when the minute it closed left the quarter-hour average climbing.
    package mutating func observe(at: Int64, _ t: DetectionTuning) -> (DetectorKind, Finding.Evidence)? {
        let m = at / 60_000
        var found: (DetectorKind, Finding.Evidence)?
        if m != minute {
            if minute == .min { minute = m; firstMinute = m; hour = m / 60 } else if m > minute { found = roll(to: m, t) }
            // A call from the past (clock skew between nodes' reports) counts in the current minute.
        }
        count += 1
        if count == spikeAt {
            let base = baseline
            return (.volumeSpike, .init(windowSeconds: 60, count: count, baseline: base, threshold: Double(spikeAt),
                                        summary: "\(count) calls in one minute against a learned \(Self.format(base)) a minute"))
        }
        return found
    }

    /// What a minute at `minute` should hold: its hour's learned slot, or the day-long average
    /// until the slot has been seen.
    private func profile(_ minute: Int64) -> Double {
        let h = Int((minute / 60) % 24)
        if slotSeen & (1 << UInt32(h)) != 0 { return Double(slots[h]) }
        return slowWeight > 0 ? slow / slowWeight : 0
    }

    /// What the quarter-hour average is compared with.
    private var reference: Double { fastWeight > 0 ? expected / fastWeight : 0 }

    /// What a minute is expected to hold: the higher of the recent average and this hour's profile.
    private var baseline: Double { max(fastWeight > 0 ? fast / fastWeight : 0, profile(minute)) }

    private mutating func roll(to m: Int64, _ t: DetectionTuning) -> (DetectorKind, Finding.Evidence)? {
        let closed = Double(count)
        // The minute that closed, then the empty minutes since (at most a day's worth matter).
        let empty = Int(min(m - minute - 1, 1_440))
        step(closed)
        for _ in 0..<empty { step(0) }
        if minute != m { minute = m; hour = m / 60; hourSum = 0 }
        count = 0
        let warm = m - firstMinute >= Int64(t.warmupMinutes)
        let avg = fastWeight > 0 ? fast / fastWeight : 0
        let ref = reference
        let climbing = warm && avg >= t.climbFloor && avg > t.climbFactor * max(ref, 1.0 / 60)
        spikeAt = warm ? max(t.spikeFloor, Int((t.spikeFactor * baseline).rounded(.up)) + 1) : .max
        defer { alarmed = climbing }
        guard climbing, !alarmed else { return nil }
        return (.volumeClimb, .init(windowSeconds: 900, count: Int(avg.rounded()), baseline: ref, threshold: t.climbFactor * ref,
                                    summary: "the quarter-hour average reached \(Self.format(avg)) calls a minute against a learned \(Self.format(ref))"))
    }

    /// One closed minute. The fast average always moves. The day-long reference learns robustly:
    /// a minute counts for at most twice the reference (so a ramp cannot teach itself to be normal
    /// in the hours it takes to climb; a real, lasting growth is learned within days), and not at
    /// all while the key is climbing. An hour's slot learns that hour as it was, alarm or not: a
    /// daily batch raises once, on its first day, and is that hour's baseline from then on.
    private mutating func step(_ calls: Double) {
        expected += Self.fastAlpha * (profile(minute) - expected)
        fast += Self.fastAlpha * (calls - fast)
        fastWeight += Self.fastAlpha * (1 - fastWeight)
        minute += 1
        if !alarmed {
            let ref = slowWeight > 0 ? slow / slowWeight : calls
            slow += Self.slowAlpha * (min(calls, 2 * max(ref, 1)) - slow)
            slowWeight += Self.slowAlpha * (1 - slowWeight)
        }
        hourSum += calls
        guard minute / 60 != hour else { return }
        // The hour the key appeared in counts for the minutes it was watched (if a quarter-hour or more).
        let watched = hour == firstMinute / 60 ? 60 - firstMinute % 60 : 60
        if watched >= 15 {
            let h = Int(hour % 24)
            let perMinute = Float(hourSum / Double(watched))
            let bit = UInt32(1) << UInt32(h)
            slots[h] = slotSeen & bit == 0 ? perMinute : slots[h] + Self.slotAlpha * (perMinute - slots[h])
            slotSeen |= bit
        }
        hour = minute / 60
        hourSum = 0
    }

    static func format(_ v: Double) -> String {
        v >= 10 ? String(Int(v.rounded())) : String(format: "%.1f", v)
    }
}
