import Foundation

/// A detection rule: data with examples (see Resources/rules/*.json and scripts/check_rules.py,
/// which documents the confirm stage this engine reproduces).
package struct Rule: Codable, Sendable, Hashable {
    package var id: String
    package var provider: String
    package var name: String
    package var pattern: String
    package var secretGroup: Int
    package var keywords: [String]
    package var highEntropy: Bool
    package var minEntropy: Double?
    package var checksum: String?
    package var revocation: String?
    package var examples: [String]
    package var negativeExamples: [String]
    package var generatedExamples: [String]?
    /// For a pattern with no literal for Hyperscan to anchor on: every match is a run of at
    /// least `minLength` characters of `alphabet`, give or take one other character at each
    /// end (a delimiter), so the run plus a byte each side holds the whole match. Such a rule is left out of the detect
    /// database (where it made Hyperscan run an automaton over every byte) and its candidates
    /// come from those runs instead (see `SecretScanner`).
    package var token: Token?
    /// What the rule claims (scripts/check_rules.py `confidence`); nil reads as high.
    package var confidence: Confidence?

    package struct Token: Codable, Sendable, Hashable {
        package var alphabet: String
        package var minLength: Int
        enum CodingKeys: String, CodingKey {
            case alphabet
            case minLength = "min_length"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, provider, name, pattern, keywords, checksum, revocation, examples, token, confidence
        case secretGroup = "secret_group"
        case highEntropy = "high_entropy"
        case minEntropy = "min_entropy"
        case negativeExamples = "negative_examples"
        case generatedExamples = "generated_examples"
    }

    /// Generic rules are fallbacks, suppressed where a specific rule saw the same span.
    package var isGeneric: Bool { provider == "generic" }
}

/// The shared suppression lists of `_filters.json`.
package struct RuleFilters: Codable, Sendable {
    package var docExamples: [String]
    package var placeholderPatterns: [String]
    package var placeholderWords: [String]

    enum CodingKeys: String, CodingKey {
        case docExamples = "doc_examples"
        case placeholderPatterns = "placeholder_patterns"
        case placeholderWords = "placeholder_words"
    }
}
