import Foundation

/// Which limits apply, by policy (`keyward serve --rate-limit …`), with overrides stored on an
/// identity or a key (`rate_limit` on create and `PATCH`). Defaults, chosen to stop abuse-scale
/// traffic while never touching a well-behaved service (a demanding user can tighten them):
/// - per key: live 1,000/s (burst 2,000), test 100/s (burst 200) — test keys do not carry production load;
/// - per identity, shared by all its keys and its clients' tokens: live 5,000/s (burst 10,000), test 500/s;
/// - per source address a resource server reports (`source.ip`): 1,000/s (burst 2,000);
/// - failed verifications per source and target identity (or per source for an unknown key):
///   30 a minute (burst 30). An exhausted failure bucket refuses that source's requests for that
///   target, valid or not, and nothing else (case 66: a flood aimed at a victim from one source
///   leaves the victim's traffic from its own sources alone);
/// - Keyward's own routes (not verify, token, health or metrics) per caller address: 100/s (burst 200);
///   failed bearer checks and client authentications count in the failure buckets above.
package struct RateLimitPolicy: Sendable, Equatable {
    package var key: [KeyEnvironment: RateLimit]
    package var identity: [KeyEnvironment: RateLimit]
    package var source: RateLimit?
    package var failure: RateLimit?
    package var routes: RateLimit?
    /// Off: nothing is limited (`--rate-limit off`).
    package var enabled: Bool

    package init(key: [KeyEnvironment: RateLimit] = [.live: .per(1_000, seconds: 1, burst: 2_000), .test: .per(100, seconds: 1, burst: 200)],
                 identity: [KeyEnvironment: RateLimit] = [.live: .per(5_000, seconds: 1, burst: 10_000), .test: .per(500, seconds: 1, burst: 1_000)],
                 source: RateLimit? = .per(1_000, seconds: 1, burst: 2_000),
                 failure: RateLimit? = .per(30, seconds: 60, burst: 30),
                 routes: RateLimit? = .per(100, seconds: 1, burst: 200),
                 enabled: Bool = true) {
        self.key = key
        self.identity = identity
        self.source = source
        self.failure = failure
        self.routes = routes
        self.enabled = enabled
    }

    /// The kinds of limit `--rate-limit` sets.
    package enum Kind: String, CaseIterable, Sendable {
        case key, identity, source, failure, routes
    }

    /// Parses `--rate-limit` rules: `off`, or comma-separated `[live:|test:]key=LIMIT/SECONDS[:BURST]`,
    /// `identity=…`, `source=…|off`, `failure=…|off`, `routes=…|off`; applied over the defaults.
    package mutating func apply(_ rules: String) throws {
        let trimmed = rules.trimmingCharacters(in: .whitespaces)
        if trimmed == "off" { enabled = false; return }
        for raw in trimmed.split(separator: ",") {
            let rule = raw.trimmingCharacters(in: .whitespaces)
            guard let eq = rule.firstIndex(of: "=") else { throw Self.bad(rule) }
            var name = String(rule[..<eq])
            let value = String(rule[rule.index(after: eq)...])
            var envs: [KeyEnvironment] = [.live, .test]
            if let colon = name.firstIndex(of: ":") {
                guard let env = KeyEnvironment(rawValue: String(name[..<colon])) else { throw Self.bad(rule) }
                envs = [env]
                name = String(name[name.index(after: colon)...])
            }
            guard let scope = Kind(rawValue: name) else { throw Self.bad(rule) }
            let limit: RateLimit?
            if value == "off" {
                guard [.source, .failure, .routes].contains(scope) else { throw KeywardError(.validation, "\(name) limits cannot be off; set a high one instead") }
                limit = nil
            } else {
                guard let l = RateLimit(parsing: value) else { throw Self.bad(rule) }
                limit = l
            }
            switch scope {
            case .key: for e in envs { key[e] = limit }
            case .identity: for e in envs { identity[e] = limit }
            case .source: source = limit
            case .failure: failure = limit
            case .routes: routes = limit
            }
        }
    }

    private static func bad(_ rule: String) -> KeywardError {
        KeywardError(.validation, "rate limit rule '\(rule.prefix(80))': expected [live:|test:]key|identity|source|failure|routes=LIMIT/SECONDS[:BURST] (or off), e.g. key=100/1:200")
    }
}

extension RateLimit {
    /// For literals known to be in range.
    package static func per(_ limit: Int, seconds: Int, burst: Int? = nil) -> RateLimit {
        RateLimit(limit: limit, periodSeconds: seconds, burst: burst)!
    }

    /// `LIMIT/SECONDS[:BURST]`, e.g. `100/60` or `100/1:200`.
    package init?(parsing s: String) {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return nil }
        let rate = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard rate.count == 2, let l = Int(rate[0]), let p = Int(rate[1]) else { return nil }
        var burst: Int?
        if parts.count == 2 {
            guard let b = Int(parts[1]) else { return nil }
            burst = b
        }
        self.init(limit: l, periodSeconds: p, burst: burst)
    }

    /// `100/60s burst 100`: how audit records and messages name a limit.
    package var summary: String { "\(limit)/\(periodSeconds)s burst \(burst)" }
}
