import KeywardCore

/// How long a client may take and how many connections it may hold, so that one
/// unauthenticated client cannot exhaust the server (issue 10 item 3). Read once at start.
///
/// The timeouts are per connection and each covers one phase: waiting for a request, reading
/// its head, reading its body. The server's own work on a request (and writing its answer) has
/// no timeout. nginx's defaults are 75 s keep-alive and 60 s each for head and body; head and
/// body are stricter here, and idle is not, for the reason given on `idleTimeout`.
package struct ConnectionLimits: Sendable {
    /// A connection with no request in progress (before its first request, or after the last
    /// answer) is closed after this long. Default 75 s, as nginx: longer than the 60 s idle
    /// timeout of common load balancers (AWS ALB, nginx upstream keep-alive), so a balancer
    /// never sends a request on a connection the server is closing at that moment. Behind a
    /// balancer with a longer idle timeout (Google Cloud: 600 s), set this above it.
    package var idleTimeout: Duration = .seconds(75)
    /// From the first byte of a request until its whole head (request line and headers) has
    /// arrived. Default 10 s: a head is one packet for every real client; a client sending a
    /// byte at a time is closed.
    package var headTimeout: Duration = .seconds(10)
    /// From the end of the head until the whole body has arrived (a total, not per read).
    /// Default 30 s: 64 KiB (the default body limit) at 2 KiB/s.
    package var bodyTimeout: Duration = .seconds(30)
    /// Open connections at most; beyond it a new connection is closed at once. Default 8,192,
    /// and never more than the open-file limit less a reserve for the store, the log and the
    /// webhook client (see `effectiveMaxConnections`).
    package var maxConnections = 8_192
    /// Open connections at most from one source: an IPv4 address, or an IPv6 /64 (one host's
    /// usual allocation). Default 1,024: a load balancer's pool or a benchmark's 64 connections
    /// fit; one client cannot take the whole server. Capped by `maxConnections`.
    package var maxConnectionsPerSource = 1_024

    package init() {}

    /// File descriptors kept out of the connection budget: store files and connections,
    /// webhook and PostgreSQL clients, the listening socket, logs.
    package static let reservedDescriptors = 256

    /// `maxConnections`, lowered when the process's open-file limit could not hold it.
    package func effectiveMaxConnections(openFileLimit: Int?) -> Int {
        guard let openFileLimit else { return maxConnections }
        return min(maxConnections, max(16, openFileLimit - Self.reservedDescriptors))
    }

    package func validate() throws {
        for (name, value) in [("--idle-timeout-seconds", idleTimeout), ("--head-timeout-seconds", headTimeout), ("--body-timeout-seconds", bodyTimeout)] {
            guard value > .zero, value <= .seconds(3_600) else { throw KeywardError(.validation, "\(name) must be from 1 to 3600") }
        }
        guard (1...1_000_000).contains(maxConnections) else { throw KeywardError(.validation, "--max-connections must be from 1 to 1000000") }
        guard (1...1_000_000).contains(maxConnectionsPerSource) else {
            throw KeywardError(.validation, "--max-connections-per-source must be from 1 to 1000000")
        }
    }
}
