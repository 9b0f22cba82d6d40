import Foundation

/// What Keyward does when a leak matches a credential it knows.
package enum ContainmentAction: String, Sendable, Codable, CaseIterable {
    /// Revoke every version now, cascading to derived credentials.
    case revoke
    /// Keep the key but make verify answer `quarantined` (or admit only the quarantine scopes).
    case quarantine
    /// Open an incident and tell the owner; the credential keeps working.
    case notify
}

/// What a leaked secret turned out to be when matched against the inventory.
package enum ExposureClassification: String, Sendable, Codable, CaseIterable {
    /// A Keyward key version that verify still accepts, live or test (`live` before issue 11,
    /// renamed because it read as the key's environment).
    case valid
    case alreadyRevoked = "already_revoked"
    /// A superseded version past its grace window (the current version is checked separately).
    case rotated
    case expired
    case alreadyQuarantined = "already_quarantined"
    /// An imported third-party credential (Keyward cannot tell whether the provider still accepts it).
    case thirdParty = "third_party"
    /// Not in the inventory: recorded as an unowned exposure for posture.
    case unknown
    /// Not a leak report: a detector at the verify point found the key abused (issue 15).
    case detected
}

extension ExposureClassification {
    /// A matched key version's classification, from its lifecycle state at the match.
    package init(_ state: KeyVersionState) {
        switch state {
        case .current, .grace: self = .valid
        case .revoked: self = .alreadyRevoked
        case .rotated: self = .rotated
        case .expired: self = .expired
        case .quarantined: self = .alreadyQuarantined
        }
    }
}

/// Containment by policy, per key environment and exposure source. Rules are tried in order;
/// the first whose environment and source match decides. Defaults (DESIGN.md, issue 5): a live
/// key found anywhere is revoked; a test key is quarantined.
package struct ContainmentPolicy: Sendable, Equatable {
    package struct Rule: Sendable, Equatable {
        package var environment: KeyEnvironment?
        package var source: String?
        package var action: ContainmentAction
        package init(environment: KeyEnvironment?, source: String?, action: ContainmentAction) {
            self.environment = environment
            self.source = source
            self.action = action
        }
    }

    package var rules: [Rule]

    package static let defaultRules: [Rule] = [
        Rule(environment: .live, source: nil, action: .revoke),
        Rule(environment: .test, source: nil, action: .quarantine),
    ]

    package init(rules: [Rule] = ContainmentPolicy.defaultRules) {
        self.rules = rules
    }

    /// The action for a Keyward key of `environment` reported by `source`; notify if no rule matches.
    package func action(environment: KeyEnvironment, source: String) -> ContainmentAction {
        for r in rules where (r.environment == nil || r.environment == environment) && (r.source == nil || r.source == source) {
            return r.action
        }
        return .notify
    }

    /// Parses `[source:]environment=action,…` (environment `live`, `test` or `*`), e.g.
    /// `paste:test=notify,live=revoke,test=quarantine`. The given rules come before the defaults.
    package static func parseRules(_ text: String, sources: Set<String>) throws -> [Rule] {
        var out: [Rule] = []
        for item in text.split(separator: ",") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw KeywardError(.validation, "containment rule '\(item)' must be [source:]environment=action") }
            guard let action = ContainmentAction(rawValue: parts[1]) else {
                throw KeywardError(.validation, "containment action '\(parts[1])' must be revoke, quarantine or notify")
            }
            let lhs = parts[0].split(separator: ":", maxSplits: 1).map(String.init)
            let source = lhs.count == 2 ? lhs[0] : nil
            let envText = lhs.count == 2 ? lhs[1] : lhs[0]
            if let source, !sources.contains(source) {
                throw KeywardError(.validation, "containment source '\(source)' must be one of \(sources.sorted().joined(separator: ", "))")
            }
            let env: KeyEnvironment?
            if envText == "*" { env = nil } else {
                guard let e = KeyEnvironment(rawValue: envText) else { throw KeywardError(.validation, "containment environment '\(envText)' must be live, test or *") }
                env = e
            }
            out.append(Rule(environment: env, source: source, action: action))
        }
        return out + defaultRules
    }
}
