/// Why a finding is not counted. SARIF 2.1.0 §3.34: `inSource` for an allow comment,
/// `external` for the repository config and the baseline.
package struct Suppression: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable {
        case allowComment = "allow_comment"
        case config
        case baseline
    }

    package var kind: Kind
    package var justification: String

    package init(kind: Kind, justification: String) {
        self.kind = kind
        self.justification = justification
    }

    package var sarifKind: String { kind == .allowComment ? "inSource" : "external" }
}
