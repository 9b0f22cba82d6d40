#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import Prometheus
import Synchronization

/// Counts open connections, in total and per source, admits a new one only under both caps,
/// and exports the counts in `/metrics`. One lock per accepted and per closed connection,
/// nothing per request.
package final class ConnectionTracker: Sendable {
    /// Where a connection comes from, for the per-source cap: an IPv4 address, or the /64 of
    /// an IPv6 one (an IPv4-mapped IPv6 address counts as its IPv4 address).
    enum Source: Hashable {
        case v4(UInt32)
        case v6(UInt64)

        init?(_ address: SocketAddress?) {
            switch address {
            // The address bytes by their fixed Linux offsets (sin_addr at 4, sin6_addr at 8): the
            // members' owning C module varies with build order, which member-import checks reject.
            case .v4(let a):
                let raw = withUnsafeBytes(of: a.address) { Array($0[4..<8]) }
                self = .v4(raw.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
            case .v6(let a):
                let bytes = withUnsafeBytes(of: a.address) { Array($0[8..<24]) }
                if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                    self = .v4(bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
                } else {
                    self = .v6(bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) })
                }
            default:
                return nil
            }
        }
    }

    /// An admitted connection; hand it back to `release` when the connection closes.
    struct Admission: Sendable {
        let source: Source?
    }

    /// Which phase of a connection ran out of time.
    enum Phase: String, CaseIterable {
        case idle, head, body
    }

    private struct Counts {
        var total = 0
        var bySource: [Source: Int] = [:]
    }

    package let maxTotal: Int
    package let maxPerSource: Int
    private let counts = Mutex(Counts())
    private let refusedTotal: Counter
    private let refusedPerSource: Counter
    private let timedOut: [Phase: Counter]

    /// `openFileLimit` (the soft RLIMIT_NOFILE, nil when unknown) lowers the total cap so the
    /// process keeps descriptors for its store and for admin access when the cap is reached.
    package init(limits: ConnectionLimits, openFileLimit: Int?, registry: PrometheusCollectorRegistry, logger: Logger) {
        maxTotal = limits.effectiveMaxConnections(openFileLimit: openFileLimit)
        maxPerSource = min(limits.maxConnectionsPerSource, maxTotal)
        if maxTotal < limits.maxConnections {
            logger.notice("connection cap lowered to fit the open-file limit", metadata: [
                "max_connections": "\(maxTotal)", "open_file_limit": "\(openFileLimit ?? 0)",
            ])
        }
        let refusedHelp = "Connections closed at once because a cap was reached (total or per source address)."
        refusedTotal = registry.makeCounter(name: "keyward_http_connections_refused_total", labels: [("cap", "total")], help: refusedHelp)
        refusedPerSource = registry.makeCounter(name: "keyward_http_connections_refused_total", labels: [("cap", "source")], help: refusedHelp)
        timedOut = Dictionary(uniqueKeysWithValues: Phase.allCases.map {
            ($0, registry.makeCounter(name: "keyward_http_connections_timed_out_total", labels: [("phase", $0.rawValue)],
                                      help: "Connections closed by a timeout, by phase (idle, head, body)."))
        })
    }

    /// Counts the connection in, or nil (and counts a refusal) when a cap is reached.
    func admit(_ address: SocketAddress?) -> Admission? {
        let source = Source(address)
        let refused: Counter? = counts.withLock { c in
            guard c.total < maxTotal else { return refusedTotal }
            if let source {
                let n = c.bySource[source, default: 0]
                guard n < maxPerSource else { return refusedPerSource }
                c.bySource[source] = n + 1
            }
            c.total += 1
            return nil
        }
        if let refused {
            refused.increment()
            return nil
        }
        return Admission(source: source)
    }

    func release(_ admission: Admission) {
        counts.withLock { c in
            c.total -= 1
            if let source = admission.source {
                let n = c.bySource[source, default: 1] - 1
                c.bySource[source] = n > 0 ? n : nil
            }
        }
    }

    /// Connections open now (`keyward_http_connections_open`).
    var openConnections: Int { counts.withLock { $0.total } }

    func timedOut(_ phase: Phase) {
        timedOut[phase]?.increment()
    }
}
