import Foundation

/// A leaked key's recent use, from verify telemetry since the leak was first seen (stored
/// JSON, shaped as the wire's `Hunt`).
package struct HuntReport: Codable, Sendable, Equatable {
    package struct ScopeUse: Codable, Sendable, Equatable {
        package var scope: String
        package var count: Int64
        package var firstSeen: Date
        package var lastSeen: Date
        package init(scope: String, count: Int64, firstSeen: Date, lastSeen: Date) {
            self.scope = scope
            self.count = count
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
        }
    }
    package var since: Date
    /// Verify outcomes since then (`valid`, `revoked`, `insufficient_scope`…).
    package var outcomes: [String: Int64]
    package var failures: Int64
    package var sources: [BlastRadiusReport.ObservedConsumer]
    package var scopesUsed: [ScopeUse]
    package init(since: Date, outcomes: [String: Int64], failures: Int64, sources: [BlastRadiusReport.ObservedConsumer], scopesUsed: [ScopeUse]) {
        self.since = since
        self.outcomes = outcomes
        self.failures = failures
        self.sources = sources
        self.scopesUsed = scopesUsed
    }
}
