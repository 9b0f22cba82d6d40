import Foundation

/// Enumeration: distinct unknown or malformed keys one source presented within a window. Only
/// the hashes of what was presented are kept (at most the threshold's worth), never a value; the
/// same wrong key presented again (a misconfigured deploy) counts once.
package struct SourceWatch: Sendable {
    package private(set) var lastAt: Int64 = 0
    private var windowStart: Int64 = .min
    private var seen: [Int] = []
    private var attempts = 0
    private var raised: Int64 = .min

    package init() {}

    package mutating func observe(_ o: Observation, _ t: DetectionTuning) -> Finding? {
        lastAt = max(lastAt, o.at)
        if windowStart == .min || o.at - windowStart >= Int64(t.enumerationWindowSeconds) * 1000 {
            windowStart = o.at
            seen.removeAll(keepingCapacity: true)
            attempts = 0
        }
        attempts += 1
        guard seen.count < t.enumerationDistinct, !seen.contains(o.presentedHash) else { return nil }
        seen.append(o.presentedHash)
        guard seen.count == t.enumerationDistinct else { return nil }
        guard raised == .min || o.at - raised >= Int64(t.cooldownSeconds) * 1000 else { return nil }
        raised = o.at
        return Finding(detector: .enumeration, at: Date(unixMillis: o.at), source: o.ip, evidence: .init(
            windowSeconds: t.enumerationWindowSeconds, count: seen.count, threshold: Double(t.enumerationDistinct), sources: o.ip.map { [$0] } ?? [],
            summary: "\(seen.count) distinct unknown or malformed keys in \(attempts) attempts within \(t.enumerationWindowSeconds) seconds from one source"))
    }
}

/// Brute force: failed verifications aimed at one identity within a window, from several sources
/// (a single source is what the failure rate limit stops). Keeps counts by reason and up to 8 sources.
package struct IdentityWatch: Sendable {
    package private(set) var lastAt: Int64 = 0
    private var windowStart: Int64 = .min
    private var failures = 0
    private var sourceHashes: [Int] = []
    private var sources: [String] = []
    private var reasons: [VerifyReason: Int] = [:]
    private var raised: Int64 = .min

    package init() {}

    package mutating func observe(_ o: Observation, _ t: DetectionTuning) -> Finding? {
        lastAt = max(lastAt, o.at)
        if windowStart == .min || o.at - windowStart >= Int64(t.bruteForceWindowSeconds) * 1000 {
            windowStart = o.at
            failures = 0
            sourceHashes.removeAll(keepingCapacity: true)
            sources.removeAll(keepingCapacity: true)
            reasons.removeAll(keepingCapacity: true)
        }
        failures += 1
        if let r = o.reason { reasons[r, default: 0] += 1 }
        if let ip = o.ip, sourceHashes.count < 64 {
            let h = ip.hashValue
            if !sourceHashes.contains(h) {
                sourceHashes.append(h)
                if sources.count < 8 { sources.append(String(ip.prefix(64))) }
            }
        }
        guard failures >= t.bruteForceFailures, sourceHashes.count >= t.bruteForceSources else { return nil }
        guard raised == .min || o.at - raised >= Int64(t.cooldownSeconds) * 1000 else { return nil }
        raised = o.at
        let why = reasons.sorted { $0.value > $1.value }.map { "\($0.key.rawValue)=\($0.value)" }
        return Finding(detector: .bruteForce, at: Date(unixMillis: o.at), identityID: o.identityID, environment: o.environment, evidence: .init(
            windowSeconds: t.bruteForceWindowSeconds, count: failures, threshold: Double(t.bruteForceFailures), sources: sources, items: why,
            summary: "\(failures) failed verifications against this identity from \(sourceHashes.count)\(sourceHashes.count == 64 ? "+" : "") sources within \(t.bruteForceWindowSeconds / 60) minutes"))
    }
}
