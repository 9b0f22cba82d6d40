import Foundation

/// The ten posture checks: pure functions of a `PostureInput`.
package enum Posture {
    package static func evaluate(_ input: PostureInput) -> PostureReport {
        let identities = Dictionary(input.identities.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // The built-in identity holds Keyward's own management keys: posture is about the inventory.
        var input = input
        input.identities = input.identities.filter { !$0.isBuiltIn }
        input.keys = input.keys.filter { $0.identityID != .keyward }
        let ctx = Context(input: input, identities: identities)
        let risks = NHIRisk.allCases.map { risk -> RiskPosture in
            var r = ctx.check(risk)
            r.findings.sort { ($0.severity, $1.subject.id) > ($1.severity, $0.subject.id) }
            return r
        }
        return PostureReport(generatedAt: input.now, risks: risks)
    }

    /// Percentile p (0–100) of `values` by nearest rank; nil when empty.
    package static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

private struct Context {
    let input: PostureInput
    let identities: [IdentityID: Identity]
    /// The keys verify would still accept, once for all ten checks, and by id.
    let liveKeys: [APIKey]
    let liveKeysByID: [KeyID: APIKey]

    init(input: PostureInput, identities: [IdentityID: Identity]) {
        self.input = input
        self.identities = identities
        liveKeys = input.keys.filter(input.isLive)
        liveKeysByID = Dictionary(liveKeys.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func owner(_ id: IdentityID) -> String? {
        guard let i = identities[id] else { return nil }
        return i.technicalOwner ?? i.businessOwner
    }

    func subject(_ i: Identity) -> PostureSubject { PostureSubject(kind: "identity", id: i.id.description, name: i.name) }
    func subject(_ k: APIKey) -> PostureSubject { PostureSubject(kind: "key", id: k.id.description, name: k.name) }
    func subject(_ c: Credential) -> PostureSubject { PostureSubject(kind: "credential", id: c.id.description, name: c.name) }
    func subject(_ c: OAuthClient) -> PostureSubject { PostureSubject(kind: "client", id: c.id.description, name: c.name) }

    func finding(_ s: PostureSubject, of identity: IdentityID?, _ severity: PostureSeverity, _ evidence: String, _ fix: String) -> PostureFinding {
        PostureFinding(subject: s, owner: identity.flatMap(owner), severity: severity, evidence: evidence, fix: fix)
    }

    func scored(_ risk: NHIRisk, _ findings: [PostureFinding], checks: [String], noData: [String] = [], metrics: [String: Double] = [:],
                hasData: Bool = true) -> RiskPosture {
        let score = hasData ? max(0, 100 - findings.reduce(0) { $0 + $1.severity.weight }) : nil
        return RiskPosture(risk: risk, score: score, findings: findings, checks: checks, noData: noData, metrics: metrics)
    }

    func check(_ risk: NHIRisk) -> RiskPosture {
        switch risk {
        case .nhi1: offboarding()
        case .nhi2: leakage()
        case .nhi3: thirdParty()
        case .nhi4: authentication()
        case .nhi5: privilege()
        case .nhi6: deployment()
        case .nhi7: longLived()
        case .nhi8: isolation()
        case .nhi9: reuse()
        case .nhi10: humanUse()
        }
    }

    // NHI1: nobody to ask, nobody using it, or decommissioned with credentials still live.
    func offboarding() -> RiskPosture {
        var out: [PostureFinding] = []
        let live = Dictionary(grouping: liveKeys, by: \.identityID)
        let clients = Dictionary(grouping: input.clients.filter { $0.status == .active }, by: \.identityID)
        for i in input.identities {
            let keys = live[i.id] ?? [], held = keys.count + (clients[i.id]?.count ?? 0)
            if i.status == .decommissioned {
                if held > 0 {
                    out.append(finding(subject(i), of: i.id, .high, "decommissioned\(i.decommissionedAt.map { " on \(Self.day($0))" } ?? "") but \(held) credential\(held == 1 ? "" : "s") still live",
                                       "revoke its keys and clients (keyward identities decommission revokes them)"))
                }
                continue
            }
            if i.technicalOwner == nil && i.businessOwner == nil {
                out.append(finding(subject(i), of: i.id, .medium, "no business or technical owner", "name an owner (PATCH /v1/identities/{id}), or decommission it"))
            }
            let lastUse = keys.compactMap(\.lastUsedAt).max()
            if !keys.isEmpty, input.days(i.createdAt) >= input.policy.unusedDays, lastUse.map({ input.days($0) >= input.policy.unusedDays }) ?? true {
                out.append(finding(subject(i), of: i.id, .medium,
                                   lastUse.map { "\(keys.count) live key\(keys.count == 1 ? "" : "s"), none used since \(Self.day($0))" } ?? "\(keys.count) live key\(keys.count == 1 ? "" : "s"), never used",
                                   "confirm it is still needed, or decommission it"))
            }
        }
        var noData: [String] = []
        if let confirmed = input.lastConfirmed {
            for i in input.identities where i.status == .active && i.kind != .thirdParty {
                if let f = overdueReview(i, confirmed[i.id]) { out.append(f) }
            }
        } else {
            noData.append("owner confirmation (no review records)")
        }
        return scored(.nhi1, out, checks: ["active identities without an owner", "decommissioned identities with live keys or clients",
                                           "identities whose live keys were unused for \(input.policy.unusedDays) days",
                                           "identities their owner has not confirmed within \(input.reviewPolicy.days) days"],
                      noData: noData)
    }

    /// A finding when the identity's owner has not confirmed it within the review interval.
    func overdueReview(_ i: Identity, _ last: Date?) -> PostureFinding? {
        let due = Recertification.dueAt(i, lastConfirmed: last, policy: input.reviewPolicy)
        guard due < input.now else { return nil }
        let since = last.map { "last confirmed \(Self.day($0))" } ?? "never confirmed since its creation on \(Self.day(i.createdAt))"
        return finding(subject(i), of: i.id, .medium, "review overdue since \(Self.day(due)) (\(since))",
                       "its owner confirms it (keyward review confirm \(i.id)) or decommissions it")
    }

    // NHI2: exposures not yet contained or resolved, and those nobody owns.
    func leakage() -> RiskPosture {
        var out: [PostureFinding] = []
        for inc in input.incidents where inc.status != .resolved {
            let s = PostureSubject(kind: "incident", id: inc.id.description, name: "\(inc.target.kind) \(inc.target.description)")
            if inc.status == .open {
                out.append(finding(s, of: inc.identityID, .high, "leak from \(inc.source) not contained", "contain it: revoke or rotate \(inc.target.kind) \(inc.target.description)"))
            } else {
                out.append(finding(s, of: inc.identityID, .medium, "contained, not resolved", "rotate at the provider where needed, then resolve the incident"))
            }
        }
        for c in input.credentials where c.status == .exposed {
            out.append(finding(subject(c), of: c.identityID, .high, "\(c.provider) credential found in a leak, still listed as exposed",
                               "revoke it at \(c.provider), then mark it retired"))
        }
        if input.unownedExposures > 0 {
            out.append(PostureFinding(subject: PostureSubject(kind: "inventory", id: "unowned-exposures", name: nil), owner: nil, severity: .medium,
                                      evidence: "\(input.unownedExposures) reported exposure\(input.unownedExposures == 1 ? "" : "s") matched nothing in the inventory",
                                      fix: "import the credentials they belong to (keyward import), so the next leak has an owner"))
        }
        let times = input.incidents.compactMap(\.timeToContainMillis).map(Double.init)
        var metrics: [String: Double] = ["open_incidents": Double(input.incidents.filter { $0.status == .open }.count),
                                         "unowned_exposures": Double(input.unownedExposures)]
        if let p50 = Posture.percentile(times, 50), let p95 = Posture.percentile(times, 95) {
            metrics["time_to_contain_p50_ms"] = p50
            metrics["time_to_contain_p95_ms"] = p95
        }
        return scored(.nhi2, out, checks: ["incidents not contained or not resolved", "imported credentials marked exposed", "exposures nobody owns"],
                      metrics: metrics)
    }

    // NHI3: third parties holding wide scopes or keys that never expire.
    func thirdParty() -> RiskPosture {
        var out: [PostureFinding] = []
        let third = Set(input.identities.filter { $0.kind == .thirdParty && $0.status == .active }.map(\.id))
        for k in liveKeys where third.contains(k.identityID) {
            let wide = k.scopes.filter(\.isWide)
            if !wide.isEmpty {
                out.append(finding(subject(k), of: k.identityID, .high, "third-party key with wide scopes: \(wide.map(\.value).sorted().joined(separator: " "))",
                                   "narrow it to what the partner calls (GET /v1/identities/{id}/privilege proposes a set)"))
            }
            if k.current?.expiresAt == nil {
                out.append(finding(subject(k), of: k.identityID, .medium, "third-party key with no expiry", "rotate it with an expiry (keys rotate --expires-in)"))
            }
        }
        for c in input.clients where c.status == .active && third.contains(c.identityID) && c.scopes.contains(where: \.isWide) {
            out.append(finding(subject(c), of: c.identityID, .high, "third-party OAuth client with wide scopes", "narrow the client's scopes"))
        }
        var noData: [String] = []
        if let confirmed = input.lastConfirmed {
            for i in input.identities where i.status == .active && i.kind == .thirdParty {
                if let f = overdueReview(i, confirmed[i.id]) { out.append(f) }
            }
        } else {
            noData.append("reviews of third parties (no review records)")
        }
        return scored(.nhi3, out, checks: ["third-party keys and clients with wide or admin scopes", "third-party keys with no expiry",
                                           "third parties not reviewed within \(input.reviewPolicy.thirdPartyDays) days"],
                      noData: noData)
    }

    // NHI4: bearer secrets where a bound method (private_key_jwt, mTLS, federation) is possible.
    func authentication() -> RiskPosture {
        var out: [PostureFinding] = []
        let bearer = Dictionary(grouping: liveKeys, by: \.identityID)
        for i in input.identities where i.status == .active && i.kind != .thirdParty {
            guard let keys = bearer[i.id], !keys.isEmpty else { continue }
            out.append(finding(subject(i), of: i.id, .low, "\(keys.count) bearer API key\(keys.count == 1 ? "" : "s") for a \(i.kind.rawValue) identity",
                               "register an OAuth client (private_key_jwt, mutual TLS or workload federation) and move it to short-lived bound tokens"))
        }
        for c in input.clients where c.status == .active && !c.dpopBoundTokens && !c.certificateBoundTokens {
            out.append(finding(subject(c), of: c.identityID, .low, "client \(c.authMethod.rawValue) gets unbound bearer tokens",
                               "set dpop_bound_access_tokens or tls_client_certificate_bound_access_tokens"))
        }
        return scored(.nhi4, out, checks: ["machine identities holding bearer API keys", "OAuth clients whose tokens are not bound"])
    }

    // NHI5: granted beyond what is used, and wildcard or admin scopes.
    func privilege() -> RiskPosture {
        var out: [PostureFinding] = []
        var withUse = 0
        for k in liveKeys {
            let wide = k.scopes.filter(\.isWide)
            if !wide.isEmpty {
                out.append(finding(subject(k), of: k.identityID, .high, "wide scopes: \(wide.map(\.value).sorted().joined(separator: " "))",
                                   "replace them with the scopes it calls"))
            }
            guard let used = input.exercisedScopes[k.id] else { continue }
            withUse += 1
            let unused = Set(k.scopes).subtracting(used).subtracting(wide)
            if !unused.isEmpty, !used.isEmpty {
                out.append(finding(subject(k), of: k.identityID, .medium,
                                   "\(unused.count) of \(k.scopes.count) scopes unused over \(input.usageWindowDays) days: \(unused.map(\.value).sorted().joined(separator: " "))",
                                   "apply the proposed set (POST /v1/identities/{id}/privilege/apply)"))
            }
        }
        return scored(.nhi5, out, checks: ["keys with wildcard or admin scopes", "scopes granted but unused over \(input.usageWindowDays) days (keys with verify telemetry)"],
                      noData: withUse == 0 && !liveKeys.isEmpty ? ["scope use: no key has verify telemetry with scopes over the window"] : [],
                      metrics: ["keys_with_scope_telemetry": Double(withUse)])
    }

    // NHI6: static secrets held by pipelines (federation is possible) and imported cloud keys.
    func deployment() -> RiskPosture {
        var out: [PostureFinding] = []
        let pipelines = Set(input.identities.filter { $0.kind == .pipeline && $0.status == .active }.map(\.id))
        for k in liveKeys where pipelines.contains(k.identityID) {
            out.append(finding(subject(k), of: k.identityID, .medium, "a pipeline holds a static API key",
                               "trust the CI provider's OIDC token instead (an OAuth client with workload federation) and revoke the key"))
        }
        let heldByPipelines = Set(input.consumers.filter { $0.kind == .pipeline }.flatMap(\.holds))
        let cloud: Set<String> = ["aws", "gcp", "google", "azure", "alibaba", "digitalocean", "ibm", "oracle"]
        for c in input.credentials where c.status == .active && cloud.contains(c.provider.lowercased()) {
            let held = heldByPipelines.contains(.credential(c.id))
            out.append(finding(subject(c), of: c.identityID, held ? .high : .medium,
                               "static \(c.provider) key imported from \(c.origin)\(held ? ", held by a pipeline" : "")",
                               "use the cloud's workload identity (IAM roles, workload identity federation) and delete the key"))
        }
        return scored(.nhi6, out, checks: ["pipeline identities holding static keys", "imported static cloud keys"])
    }

    // NHI7: no expiry, or a secret older than policy.
    func longLived() -> RiskPosture {
        var out: [PostureFinding] = []
        let maxAge = input.policy.maxSecretAgeDays
        for k in liveKeys {
            guard let v = k.current else { continue }
            let age = input.days(v.createdAt)
            if v.expiresAt == nil {
                out.append(finding(subject(k), of: k.identityID, age > maxAge ? .high : .medium, "no expiry; current version \(age) days old",
                                   "rotate it with an expiry of at most \(maxAge) days"))
            } else if age > maxAge {
                out.append(finding(subject(k), of: k.identityID, .medium, "current version \(age) days old (policy: \(maxAge))", "rotate it"))
            }
        }
        for c in input.credentials where c.status == .active && input.days(c.createdAt) > maxAge {
            out.append(finding(subject(c), of: c.identityID, .medium, "\(c.provider) credential known for \(input.days(c.createdAt)) days (policy: \(maxAge))",
                               "rotate it at \(c.provider) and import the new one"))
        }
        return scored(.nhi7, out, checks: ["live keys with no expiry", "key versions and imported credentials older than \(maxAge) days"],
                      noData: ["when an imported credential was issued (its age counts from its import)"])
    }

    // NHI8: one secret in two environments; non-production identities with production credentials.
    func isolation() -> RiskPosture {
        var out: [PostureFinding] = []
        for creds in Dictionary(grouping: input.credentials.filter { $0.status != .retired }, by: \.fingerprint).values {
            let envs = Set(creds.map(\.environment))
            guard envs.count > 1, let first = creds.min(by: { $0.id.description < $1.id.description }) else { continue }
            out.append(finding(subject(first), of: first.identityID, .high, "the same secret is registered in \(envs.sorted().joined(separator: " and "))",
                               "issue one secret per environment"))
        }
        for c in input.consumers {
            for ref in c.holds {
                guard case .key(let kid) = ref, let k = liveKeysByID[kid], let i = identities[k.identityID], c.environment != i.environment else { continue }
                out.append(finding(subject(k), of: k.identityID, .medium, "held by \(c.name) in \(c.environment); the identity is \(i.environment)",
                                   "give \(c.name) a key of its own environment"))
            }
        }
        let prod = input.policy.productionEnvironments
        for k in liveKeys where k.environment == .live {
            guard let i = identities[k.identityID], !prod.contains(i.environment.lowercased()) else { continue }
            out.append(finding(subject(k), of: k.identityID, .medium, "a live (production) key for an identity in \(i.environment)",
                               "use a test key outside production"))
        }
        return scored(.nhi8, out, checks: ["one imported secret in several environments", "keys held by consumers of another environment",
                                           "live keys of non-production identities"])
    }

    // NHI9: one credential, several consumers.
    func reuse() -> RiskPosture {
        var out: [PostureFinding] = []
        var holders: [CredentialRef: [Consumer]] = [:]
        for c in input.consumers { for ref in Set(c.holds) { holders[ref, default: []].append(c) } }
        let credsByID = Dictionary(input.credentials.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (ref, cs) in holders where cs.count > 1 {
            let names = cs.map(\.name).sorted().joined(separator: ", ")
            switch ref {
            case .key(let id):
                guard let k = liveKeysByID[id] else { continue }
                out.append(finding(subject(k), of: k.identityID, .medium, "held by \(cs.count) consumers: \(names)", "issue each consumer its own key (derived keys)"))
            case .credential(let id):
                guard let c = credsByID[id], c.status != .retired else { continue }
                out.append(finding(subject(c), of: c.identityID, .medium, "held by \(cs.count) consumers: \(names)", "give each consumer its own credential"))
            case .client:
                continue
            }
        }
        return scored(.nhi9, out, checks: ["keys and credentials declared held by more than one consumer"],
                      noData: input.consumers.isEmpty ? ["consumers: none declared"] : [])
    }

    // NHI10: a person using a machine credential (the human-use detector).
    func humanUse() -> RiskPosture {
        var out: [PostureFinding] = []
        var seen = Set<String>()
        for d in input.detections where d.detector == .humanUse && d.status == .open {
            let id = d.keyID?.description ?? d.clientID?.description ?? d.id.description
            guard seen.insert(id).inserted else { continue }
            let s = PostureSubject(kind: d.keyID != nil ? "key" : d.clientID != nil ? "client" : "detection", id: id, name: nil)
            out.append(finding(s, of: d.identityID, .high, "human use detected \(Self.day(d.at))\(d.source.map { " from \($0)" } ?? "")",
                               "give the person their own (human) access and rotate the machine key"))
        }
        return scored(.nhi10, out, checks: ["open human-use detections at the verify point"])
    }

    static func day(_ d: Date) -> String { String(ISO8601DateFormatter().string(from: d).prefix(10)) }
}
