import Foundation
import KeywardCore
import KeywardStore
import Synchronization

/// Accumulates verify telemetry in memory; `UsageFlusher` writes it in batches, so verify
/// never writes to the store per request. The per-request work is a few dictionary updates
/// under one lock; source ids (hashes) are computed only when a batch is taken.
package final class UsageRecorder: Sendable {
    struct SourceStats: Sendable {
        var first: Int64
        var last: Int64
        var count: Int64

        /// Adds `count` uses seen between `first` and `last` (a batch put back after a failed write).
        static func merged(_ current: SourceStats?, first: Int64, last: Int64, count: Int64) -> SourceStats {
            var st = current ?? SourceStats(first: first, last: last, count: 0)
            st.count += count
            st.first = min(st.first, first)
            st.last = max(st.last, last)
            return st
        }
    }

    struct PerKey: Sendable {
        var lastUsedAt: Int64?
        var sources: [VerifySource: SourceStats] = [:]
        /// Outcome counts per hour (for the incident hunt: what happened since a leak was first seen);
        /// the totals by outcome are summed from these when a batch is taken.
        var hourly: [UsageBatch.HourOutcome: Int64] = [:]
        /// Scopes that valid verifies asked for (observed use, against granted scopes).
        var scopes: [Scope: SourceStats] = [:]
        /// Which key version each source presented (rotation progress); a verify without a
        /// source counts under the empty source. Capped at twice `sources`' cap: during a
        /// rotation each source may present both versions.
        var versions: [VersionedSource: SourceStats] = [:]
    }

    /// A source and the key version it presented.
    struct VersionedSource: Hashable, Sendable {
        var source: VerifySource
        var version: Int
    }

    private let pending = Mutex<[KeyID: PerKey]>([:])
    /// Caps distinct sources held per key between flushes (a flood of spoofed sources cannot grow memory).
    private let maxSourcesPerKey = 64

    /// Telemetry fields are free text from the caller (`source` of verify): a value in which
    /// this finds a credential (it returns the rule) is stored as `[redacted: <rule>]`. Run when
    /// a batch is taken, off the verify path. The server passes the scanner's rules.
    private let redact: @Sendable (String) -> String?

    /// Sources in which `redact` found nothing, with their ids: the scanner then runs once per
    /// distinct source, not for every source on every flush (a machine's source rarely changes;
    /// scanning was as much of a flush's CPU as the rest of the conversion). Only clean sources are
    /// kept, so it holds nothing that is not also written to the store. Emptied when full.
    private let cleanSources = Mutex<[VerifySource: String]>([:])
    static let cleanCapacity = 16_384

    package init(redact: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.redact = redact
    }

    package func record(_ key: KeyID, outcome: String, at: Date, source: VerifySource?, scopes: [Scope] = [], version: Int? = nil) {
        let t = at.unixMillis
        let src = source.flatMap { $0.isEmpty ? nil : Self.bounded($0) }
        pending.withLock { b in
            b[key, default: PerKey()].update(outcome: outcome, at: t, source: src, scopes: scopes, version: version, cap: maxSourcesPerKey)
        }
    }

    /// What `takePending()` took, not yet turned into batches: the paced flush converts and
    /// writes a few keys at a time (redaction and source ids included), so neither step holds a
    /// CPU for long.
    package struct Pending: Sendable {
        fileprivate let entries: [(KeyID, PerKey)]
        package var count: Int { entries.count }
    }

    /// Takes what has accumulated, in O(1) under the lock.
    package func takePending() -> Pending {
        let taken = pending.withLock { b in
            let out = b
            // As large as the last batch: refilling an empty table doubled it (and rehashed every key)
            // on the verify path about 16 times per flush interval at 100,000 keys.
            b = Dictionary(minimumCapacity: out.count)
            return out
        }
        return Pending(entries: Array(taken))
    }

    /// The keys `range` of `taken` as a batch (the caller writes it; on failure it calls `restore`).
    package func batch(_ taken: Pending, _ range: Range<Int>) -> UsageBatch {
        var batch = UsageBatch()
        for (k, p) in taken.entries[range] {
            var u = UsageBatch.PerKey()
            u.lastUsedAt = p.lastUsedAt
            for (h, n) in p.hourly { u.outcomes[h.outcome, default: 0] += n }
            u.hourly = p.hourly
            u.scopes = p.scopes.mapValues { UsageBatch.ScopeUse(firstSeen: $0.first, lastSeen: $0.last, count: $0.count) }
            for (raw, st) in p.sources {
                let s = batchSource(raw, st)
                u.sources[s.sourceID] = s
            }
            u.versions = p.versions.map { UsageBatch.VersionUse(version: $0.key.version, source: batchSource($0.key.source, $0.value)) }
            batch.keys[k] = u
        }
        return batch
    }

    /// Puts back a batch whose write failed, so telemetry is not lost.
    package func restore(_ batch: UsageBatch) {
        pending.withLock { b in
            for (k, u) in batch.keys {
                var cur = b[k] ?? PerKey()
                if let t = u.lastUsedAt { cur.lastUsedAt = max(cur.lastUsedAt ?? t, t) }
                for (h, n) in u.hourly { cur.hourly[h, default: 0] += n }
                for (sc, use) in u.scopes {
                    cur.scopes[sc] = .merged(cur.scopes[sc], first: use.firstSeen, last: use.lastSeen, count: use.count)
                }
                for s in u.sources.values {
                    let key = VerifySource(ip: s.ip, userAgent: s.userAgent, clientCertSubject: s.clientCertSubject, clientCertThumbprint: s.clientCertThumbprint)
                    cur.sources[key] = .merged(cur.sources[key], first: s.firstSeen, last: s.lastSeen, count: s.count)
                }
                for v in u.versions {
                    let s = v.source
                    let key = VersionedSource(source: VerifySource(ip: s.ip, userAgent: s.userAgent, clientCertSubject: s.clientCertSubject,
                                                                   clientCertThumbprint: s.clientCertThumbprint), version: v.version)
                    cur.versions[key] = .merged(cur.versions[key], first: s.firstSeen, last: s.lastSeen, count: s.count)
                }
                b[k] = cur
            }
        }
    }

    /// A source as a batch holds it: redacted, with its id.
    private func batchSource(_ raw: VerifySource, _ st: SourceStats) -> UsageBatch.Source {
        let (s, id) = identified(raw)
        return UsageBatch.Source(sourceID: id, ip: s.ip, userAgent: s.userAgent, clientCertSubject: s.clientCertSubject,
                                 clientCertThumbprint: s.clientCertThumbprint, firstSeen: st.first, lastSeen: st.last, count: st.count)
    }

    /// `raw` redacted, with its id.
    private func identified(_ raw: VerifySource) -> (VerifySource, String) {
        if let id = cleanSources.withLock({ $0[raw] }) { return (raw, id) }
        let s = redacted(raw)
        let id = Self.sourceID(s)
        if s == raw {
            cleanSources.withLock { c in
                if c.count >= Self.cleanCapacity { c.removeAll(keepingCapacity: true) }
                c[raw] = id
            }
        }
        return (s, id)
    }

    private func redacted(_ s: VerifySource) -> VerifySource {
        func clean(_ v: String?) -> String? { v.map { v in redact(v).map { "[redacted: \($0)]" } ?? v } }
        return VerifySource(ip: clean(s.ip), userAgent: clean(s.userAgent), clientCertSubject: clean(s.clientCertSubject),
                            clientCertThumbprint: clean(s.clientCertThumbprint))
    }

    static func bounded(_ s: VerifySource) -> VerifySource {
        VerifySource(ip: s.ip.map { String($0.prefix(64)) }, userAgent: s.userAgent.map { String($0.prefix(256)) },
                     clientCertSubject: s.clientCertSubject.map { String($0.prefix(256)) },
                     clientCertThumbprint: s.clientCertThumbprint.map { String($0.prefix(128)) })
    }

    static func sourceID(_ s: VerifySource) -> String {
        let joined = [s.ip ?? "", s.userAgent ?? "", s.clientCertSubject ?? "", s.clientCertThumbprint ?? ""].joined(separator: "\u{1F}")
        return String(SecretDigest(hashing: joined.utf8).hex.prefix(32))
    }
}

extension UsageRecorder.PerKey {
    mutating func update(outcome: String, at t: Int64, source: VerifySource?, scopes used: [Scope], version: Int?, cap: Int) {
        if outcome == "valid" {
            lastUsedAt = max(lastUsedAt ?? t, t)
            for sc in used {
                if var st = scopes[sc] { st.count += 1; st.last = t; scopes[sc] = st } else if scopes.count < cap {
                    scopes[sc] = UsageRecorder.SourceStats(first: t, last: t, count: 1)
                }
            }
        }
        hourly[UsageBatch.HourOutcome(hour: t / 3_600_000, outcome: outcome), default: 0] += 1
        if let version {
            let vs = UsageRecorder.VersionedSource(source: source ?? VerifySource(), version: version)
            if var st = versions[vs] { st.count += 1; st.last = t; versions[vs] = st } else if versions.count < 2 * cap {
                versions[vs] = UsageRecorder.SourceStats(first: t, last: t, count: 1)
            }
        }
        guard let source else { return }
        if var st = sources[source] {
            st.count += 1
            st.last = t
            sources[source] = st
        } else if sources.count < cap {
            sources[source] = UsageRecorder.SourceStats(first: t, last: t, count: 1)
        }
    }
}
