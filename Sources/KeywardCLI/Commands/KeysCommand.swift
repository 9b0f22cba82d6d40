import ArgumentParser
import Foundation
import KeywardAPI

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Issue, inspect, rotate, revoke and verify API keys.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Rotate.self, Rotation.self, Revoke.self, Verify.self, Dormant.self, BlastRadiusCommand.self]
    )

    static func printIssued(_ k: KeyIssuedResponse) {
        Output.fields([("id", k.id), ("version", String(k.version)), ("identity", k.identityId), ("mode", k.environment),
                       ("scopes", k.scopes.joined(separator: " ")), ("expires", Output.date(k.expiresAt))])
        Output.line("\nkey (shown once, store it now):\n\n    \(k.key)\n")
    }

    /// A key's mode follows its identity's environment unless given: production keys (and Keyward's own, environment system) are live.
    static func defaultMode(forIdentityEnvironment environment: String) -> KeyEnvironmentDTO {
        ["production", "prod", "live", "system"].contains(environment.lowercased()) ? .live : .test
    }

    static func printKey(_ k: KeyResponse) {
        Output.fields([("id", k.id), ("identity", k.identityId), ("name", k.name ?? "-"), ("status", k.status), ("version", String(k.version)),
                       ("prefix", k.prefix), ("mode", k.environment), ("scopes", k.scopes.joined(separator: " ")),
                       ("expires", Output.date(k.expiresAt)), ("last used", Output.date(k.lastUsedAt)), ("created", Output.date(k.createdAt)),
                       ("rate limit", Arg.describe(k.rateLimit))]
                      + (k.revokedAt.map { [("revoked", Output.date($0)), ("revoke reason", k.revokeReason ?? "-")] } ?? []))
        Output.line("")
        Output.table(["VERSION", "STATE", "PREFIX", "FINGERPRINT", "GRACE UNTIL"],
                     k.versions.map { [String($0.version), $0.state, $0.prefix, String($0.fingerprint.prefix(28)) + "…", Output.date($0.graceUntil)] })
        if let u = k.usage, !u.isEmpty {
            Output.line("\nverify outcomes: \(u.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a key (the plaintext is printed once).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Identity id (idn_…).") var identity: String
        @Option(name: .customLong("scope"), help: "A scope (repeatable).") var scopes: [String] = []
        @Option(help: "live or test (kw_live_/kw_test_). Default: live when the identity's environment is production, prod, live or system; test otherwise.")
        var mode: String?
        @Option(help: ArgumentHelp("Same as --mode (kept for scripts written before it).", visibility: .hidden)) var environment: String?
        @Option(help: "Lifetime: 3600, 90m, 12h or 30d (default: policy default).") var ttl: String?
        @Option(help: "A name for the key.") var name: String?
        @Flag(help: "A key that never expires (needs --exception-reason).") var nonExpiring = false
        @Option(help: "Why this key is a policy exception.") var exceptionReason: String?
        @Option(help: "Mint it from this live key of the same identity (revoked with it).") var derivedFrom: String?
        @Option(help: "Its own rate limit: LIMIT/SECONDS[:BURST], e.g. 100/60 (default: the server's policy for its mode).") var rateLimit: String?

        func run() async throws {
            try Arg.identity(identity)
            if let derivedFrom { try Arg.key(derivedFrom, flag: "--derived-from") }
            let api = try client.client()
            let env: KeyEnvironmentDTO
            if let given = mode ?? environment {
                guard let e = KeyEnvironmentDTO(rawValue: given) else { throw CLIExit.error("--mode must be live or test") }
                env = e
            } else {
                env = KeysCommand.defaultMode(forIdentityEnvironment: try await api.call("GET", "/v1/identities/\(Query.path(identity))", as: IdentityResponse.self).environment)
            }
            let ttlSeconds = try ttl.map(Duration.parse)
            let req = KeyCreateRequest(identityId: identity, scopes: scopes, environment: env, ttlSeconds: ttlSeconds, name: name,
                                       nonExpiring: nonExpiring ? true : nil, policyExceptionReason: exceptionReason, derivedFrom: derivedFrom,
                                       rateLimit: try rateLimit.map(Arg.rateLimit))
            let k = try await api.call("POST", "/v1/keys", body: req, as: KeyIssuedResponse.self)
            try client.present(k, id: "\(k.id) \(k.key)") { KeysCommand.printIssued(k) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Filter by identity id.") var identity: String?
        @Option(help: "active or revoked.") var status: String?
        @Option(help: "live or test.") var mode: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?

        func run() async throws {
            var q = [("limit", String(limit))]
            if let identity { q.append(("identity_id", identity)) }
            if let status { q.append(("status", status)) }
            if let mode { q.append(("environment", mode)) }
            if let cursor { q.append(("cursor", cursor)) }
            if let identity { try Arg.identity(identity) }
            let page = try await client.client().call("GET", "/v1/keys" + Query.string(q), as: ListResponse<KeyResponse>.self)
            try client.present(page, ids: \.id) {
                Output.table(["ID", "PREFIX", "VERSION", "STATUS", "IDENTITY", "EXPIRES"],
                             page.items.map { [$0.id, $0.prefix, String($0.version), $0.status, $0.identityId, Output.date($0.expiresAt)] })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one key (never its plaintext).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Key id (key_…).") var id: String
        func run() async throws {
            try Arg.key(id)
            let k = try await client.client().call("GET", "/v1/keys/\(Query.path(id))", as: KeyResponse.self)
            try client.present(k, id: k.id) { KeysCommand.printKey(k) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a key's own rate limit (audited).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Key id (key_…).") var id: String
        @Option(help: "LIMIT/SECONDS[:BURST] (e.g. 100/60 or 100/1:200), or policy for the server's.") var rateLimit: String
        func run() async throws {
            try Arg.key(id)
            let req = KeyUpdateRequest(rateLimit: try Arg.rateLimitChange(rateLimit))
            let k = try await client.client().call("PATCH", "/v1/keys/\(Query.path(id))", body: req, as: KeyResponse.self)
            try client.present(k, id: k.id) { KeysCommand.printKey(k) }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue the next version; the previous one stays valid for the grace window.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Key id (key_…).") var id: String
        @Option(help: "Grace window for the previous version: 0, 300, 90m, 12h, 1d (default: policy default, 1 day).") var grace: String?
        @Option(help: "Close the window early once the previous version has been unused this long: 300, 15m, 1h (default: the server's --rotation-quiet-period, 15m).")
        var quietPeriod: String?
        @Option(help: "Extend the window for lagging declared consumers up to this long after now: 2d, 7d (default and ceiling: the policy's maximum grace, 7 days).")
        var maxGrace: String?
        func run() async throws {
            try Arg.key(id)
            let req = KeyRotateRequest(graceSeconds: try grace.map(Duration.parse), quietPeriodSeconds: try quietPeriod.map(Duration.parse),
                                       maxGraceSeconds: try maxGrace.map(Duration.parse))
            let k = try await client.client().call("POST", "/v1/keys/\(Query.path(id))/rotate", body: req, as: KeyIssuedResponse.self)
            try client.present(k, id: "\(k.id) \(k.key)") { KeysCommand.printIssued(k) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke every version of a key, now.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Key id (key_…).") var id: String
        @Option(help: "Why (recorded in the audit log).") var reason: String
        @Flag(help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            try Arg.key(id)
            try Confirm.ask("Revoke every version of key \(id) and every key derived from it, now?", yes: yes)
            let k = try await client.client().call("POST", "/v1/keys/\(Query.path(id))/revoke", body: KeyRevokeRequest(reason: reason), as: KeyResponse.self)
            try client.present(k, id: k.id) { KeysCommand.printKey(k) }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a key: exit 0 when valid, 1 when not (with the reason), 2 on error.",
            discussion: "Pass - (or nothing) to read the key from standard input, which keeps it out of shell history and ps.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The key, or - to read it from stdin.") var key: String = "-"
        @Option(name: .customLong("scope"), help: "A scope the key must hold (repeatable).") var scopes: [String] = []

        func run() async throws {
            var presented = key
            if key == "-" {
                guard let line = readLine(strippingNewline: true) else { throw CLIExit.error("no key on standard input") }
                presented = line
            }
            let r = try await client.client().call("POST", "/v1/keys/verify", body: VerifyRequest(key: presented, scopes: scopes.isEmpty ? nil : scopes),
                                                   as: VerifyResponse.self)
            if client.json {
                try Output.json(r)
            } else if r.valid {
                if let token = r.tokenId {
                    Output.line("valid: access token \(token) of client \(r.clientId ?? "-"), identity \(r.identityId ?? "-"), scopes \(r.scopes?.joined(separator: " ") ?? "-")")
                } else {
                    Output.line("valid: key \(r.keyId ?? "-") version \(r.version.map(String.init) ?? "-"), identity \(r.identityId ?? "-"), scopes \(r.scopes?.joined(separator: " ") ?? "-")")
                }
            } else {
                Output.line("invalid: \(r.reason ?? "unknown")\(r.keyId.map { " (key \($0))" } ?? r.tokenId.map { " (access token \($0))" } ?? "")")
            }
            if !r.valid { throw CLIExit(1) }
        }
    }
}

extension Duration {
    /// `3600`, `90s`, `15m`, `12h`, `30d` → seconds.
    static func parse(_ s: String) throws -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = s
        var mult = 1
        if let last = s.last, let u = units[last] { digits = String(s.dropLast()); mult = u }
        guard let n = Int(digits), n >= 0, n <= 36_500 * 86_400 / mult else { throw CLIExit.error("durations look like 3600, 90m, 12h or 30d") }
        return n * mult
    }
}
