import Foundation

/// A reported secret: where, which rule, a redacted preview and an HMAC fingerprint — never
/// the plaintext, never a bare hash of a low-entropy secret.
package struct Finding: Codable, Sendable, Equatable {
    package var ruleId: String
    package var provider: String
    package var name: String
    package var path: String
    package var line: Int
    package var endLine: Int
    package var columnStart: Int
    package var columnEnd: Int
    package var commit: String?
    package var author: String?
    package var date: String?
    package var preview: String
    package var fingerprint: String
    package var highEntropy: Bool
    /// SHA-256 of the secret, kept only for high-entropy formats and only in memory for
    /// `--report-to`; never written by a reporter.
    package var digest: String?
    /// `PossessionProof.proof` of the secret (hex), beside `digest` and like it kept only in
    /// memory for `--report-to`: it shows the server that the reporter held the plaintext.
    package var possessionProof: String?
    /// Why the finding does not count (an allow comment, the repository config, the baseline);
    /// JSON and SARIF list it as suppressed, the other formats leave it out.
    package var suppression: Suppression? = nil
    /// The secret's hash under the salt of the baseline being written; in memory only.
    package var baselineHash: String? = nil
    /// Its line holds `keyward:allow` with no reason: reported, with a warning.
    package var bareAllow = false
    /// For a private key: the RFC 7638 thumbprint of its public half (public information; what
    /// `--report-to` sends so the server can match the key to an OAuth client).
    package var jwkThumbprint: String? = nil
    /// How sure the finding is (`Confidence`); `keyward scan` reports medium and up by default.
    package var confidence: Confidence = .high

    enum CodingKeys: String, CodingKey {
        case ruleId = "rule_id", provider, name, path, line
        case endLine = "end_line", columnStart = "column_start", columnEnd = "column_end"
        case commit, author, date, preview, fingerprint
        case highEntropy = "high_entropy"
        case suppression
        case jwkThumbprint = "jwk_thumbprint"
        case confidence
    }
}

/// Turns a secret into what may be shown: the format's public prefix where it has one
/// (`ghp_…(40 chars, redacted)`, see `PublicPrefixes`), else only the length
/// (`…(40 chars, redacted)`) — never characters of the secret itself.
package enum Redaction {
    package static func preview(_ secret: [UInt8], publicPrefix: String) -> String {
        "\(publicPrefix)…(\(secret.count) chars, redacted)"
    }
}
