import Foundation
import KeywardCore
import KeywardStore
import Synchronization

/// Accumulates verify telemetry in memory; `UsageFlusher` writes it in batches, so verify
/// never writes to the store per request.
package final class UsageRecorder: Sendable {
    private let pending = Mutex(UsageBatch())
    /// Caps distinct sources held per key between flushes (a flood of spoofed sources cannot grow memory).
    private let maxSourcesPerKey = 64

    package init() {}

    package func record(_ key: KeyID, outcome: String, at: Date, source: VerifySource?) {
        let t = at.unixMillis
        let sourceID = source.flatMap { $0.isEmpty ? nil : Self.sourceID($0) }
        pending.withLock { b in
            var u = b.keys[key] ?? UsageBatch.PerKey()
            if outcome == "valid" { u.lastUsedAt = max(u.lastUsedAt ?? 0, t) }
            u.outcomes[outcome, default: 0] += 1
            if let sid = sourceID, let s = source {
                if var existing = u.sources[sid] {
                    existing.count += 1
                    existing.lastSeen = t
                    u.sources[sid] = existing
                } else if u.sources.count < maxSourcesPerKey {
                    u.sources[sid] = UsageBatch.Source(
                        sourceID: sid, ip: s.ip.map { String($0.prefix(64)) }, userAgent: s.userAgent.map { String($0.prefix(256)) },
                        clientCertSubject: s.clientCertSubject.map { String($0.prefix(256)) },
                        clientCertThumbprint: s.clientCertThumbprint.map { String($0.prefix(128)) },
                        firstSeen: t, lastSeen: t, count: 1)
                }
            }
            b.keys[key] = u
        }
    }

    /// Takes what has accumulated (the caller writes it; on failure it calls `restore`).
    package func take() -> UsageBatch {
        pending.withLock { b in
            let out = b
            b = UsageBatch()
            return out
        }
    }

    /// Puts back a batch whose write failed, so telemetry is not lost.
    package func restore(_ batch: UsageBatch) {
        pending.withLock { b in
            for (k, u) in batch.keys {
                var cur = b.keys[k] ?? UsageBatch.PerKey()
                cur.lastUsedAt = max(cur.lastUsedAt ?? 0, u.lastUsedAt ?? 0)
                if cur.lastUsedAt == 0 { cur.lastUsedAt = nil }
                for (o, n) in u.outcomes { cur.outcomes[o, default: 0] += n }
                for (sid, s) in u.sources {
                    if var e = cur.sources[sid] { e.count += s.count; e.firstSeen = min(e.firstSeen, s.firstSeen); cur.sources[sid] = e } else { cur.sources[sid] = s }
                }
                b.keys[k] = cur
            }
        }
    }

    static func sourceID(_ s: VerifySource) -> String {
        let joined = [s.ip ?? "", s.userAgent ?? "", s.clientCertSubject ?? "", s.clientCertThumbprint ?? ""].joined(separator: "\u{1F}")
        return String(SecretDigest(hashing: joined.utf8).hex.prefix(32))
    }
}
