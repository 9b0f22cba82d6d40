import Foundation

/// What each detector does, per key environment (`keyward serve --detect …`). Defaults, chosen so
/// that no heuristic can take a service down on its own: enumeration blocks its source (nobody's
/// valid traffic comes from a source guessing keys); every other detector notifies, and a person
/// or a stricter policy (`--detect live:volume_climb=quarantine`) decides to contain.
package struct DetectionPolicy: Sendable, Equatable {
    package var actions: [KeyEnvironment: [DetectorKind: DetectionAction]]
    /// How long a blocked source stays refused.
    package var blockSeconds: Int
    package var tuning: DetectionTuning

    package init(tuning: DetectionTuning = DetectionTuning()) {
        var each: [DetectorKind: DetectionAction] = [:]
        for d in DetectorKind.allCases { each[d] = .notify }
        each[.enumeration] = .block
        actions = [.live: each, .test: each]
        blockSeconds = 3_600
        self.tuning = tuning
    }

    /// Off for every detector.
    package static var off: DetectionPolicy {
        var p = DetectionPolicy()
        for e in KeyEnvironment.allCases { for d in DetectorKind.allCases { p.actions[e, default: [:]][d] = .off } }
        return p
    }

    /// The action for a finding (an unknown key has no environment: the live policy applies).
    package func action(_ d: DetectorKind, _ env: KeyEnvironment?) -> DetectionAction {
        actions[env ?? .live]?[d] ?? .notify
    }

    /// Whether any environment runs `d`.
    package func runs(_ d: DetectorKind) -> Bool {
        KeyEnvironment.allCases.contains { action(d, $0) != .off }
    }

    /// Parses `--detect`: `off`, or comma-separated `[live:|test:]DETECTOR=notify|block|quarantine|off`
    /// and `block_seconds=N`, applied over the defaults.
    package mutating func apply(_ rules: String) throws {
        let trimmed = rules.trimmingCharacters(in: .whitespaces)
        if trimmed == "off" { self = { var p = DetectionPolicy.off; p.blockSeconds = blockSeconds; p.tuning = tuning; return p }(); return }
        for raw in trimmed.split(separator: ",") {
            let rule = raw.trimmingCharacters(in: .whitespaces)
            guard let eq = rule.firstIndex(of: "=") else { throw Self.bad(rule) }
            var name = String(rule[..<eq])
            let value = String(rule[rule.index(after: eq)...])
            if name == "block_seconds" {
                guard let n = Int(value), (60...604_800).contains(n) else {
                    throw KeywardError(.validation, "detect rule '\(rule.prefix(80))': block_seconds is 60 to 604800")
                }
                blockSeconds = n
                continue
            }
            var envs = KeyEnvironment.allCases
            if let colon = name.firstIndex(of: ":") {
                guard let env = KeyEnvironment(rawValue: String(name[..<colon])) else { throw Self.bad(rule) }
                envs = [env]
                name = String(name[name.index(after: colon)...])
            }
            guard let d = DetectorKind(rawValue: name), let a = DetectionAction(rawValue: value) else { throw Self.bad(rule) }
            if a == .quarantine, d == .enumeration {
                throw KeywardError(.validation, "detect rule '\(rule.prefix(80))': enumeration names no key to quarantine; use block or notify")
            }
            if d == .bruteForce, a == .block || a == .quarantine {
                throw KeywardError(.validation, "detect rule '\(rule.prefix(80))': brute force comes from many sources at one identity, the victim; use notify (the failure limit refuses each source)")
            }
            if a == .block, [.volumeSpike, .volumeClimb, .objectEnumeration].contains(d) {
                throw KeywardError(.validation, "detect rule '\(rule.prefix(80))': \(d.rawValue) is about a key, not a source; use quarantine or notify")
            }
            for e in envs { actions[e, default: [:]][d] = a }
        }
    }

    private static func bad(_ rule: String) -> KeywardError {
        let names = DetectorKind.allCases.map(\.rawValue).joined(separator: "|")
        return KeywardError(.validation, "detect rule '\(rule.prefix(80))': expected [live:|test:]\(names)=notify|block|quarantine|off, or block_seconds=N, or off")
    }
}

/// The detectors' thresholds. Each is chosen against `keyward bench detect`'s labelled mix (its
/// false alarms per million calls and time to detect are in the issue notes); all are counts
/// over windows, so a test on a manual clock can cross them exactly.
package struct DetectionTuning: Sendable, Equatable {
    /// Enumeration: distinct unknown or malformed keys from one source within the window.
    package var enumerationDistinct = 20
    package var enumerationWindowSeconds = 60
    /// Brute force: failed verifications against one identity within the window, from at least
    /// this many sources (one source is the failure rate limit's business).
    package var bruteForceFailures = 100
    package var bruteForceSources = 3
    package var bruteForceWindowSeconds = 300
    /// Volume: a minute above `spikeFactor` × baseline and at least `spikeFloor` calls.
    package var spikeFactor = 10.0
    package var spikeFloor = 600
    /// A quarter-hour average above `climbFactor` × baseline and at least `climbFloor` calls a minute.
    package var climbFactor = 4.0
    package var climbFloor = 30.0
    /// Minutes a key must be watched before volume detectors judge it.
    package var warmupMinutes = 120
    /// New source: a key is stable after this many calls and this long without a new source.
    package var stableCalls = 200
    package var stableSeconds = 86_400
    /// After a new key version first appears, its new sources are explained for this long.
    package var rotationExplainsSeconds = 86_400
    /// Scope probing: distinct scopes refused within the window.
    package var probeScopes = 5
    package var probeWindowSeconds = 600
    /// Object enumeration: distinct paths within the window, above `objectFactor` × the key's usual count.
    package var objectFloor = 300
    package var objectFactor = 5.0
    package var objectWindowSeconds = 600
    /// Human use: consecutive calls from an interactive tool at human gaps (seconds).
    package var humanCalls = 8
    package var humanMinGap = 2.0
    package var humanMaxGap = 300.0
    /// A finding about the same subject is raised at most once per cooldown.
    package var cooldownSeconds = 3_600

    package init() {}
}
