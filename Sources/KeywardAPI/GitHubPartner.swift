import Foundation

// GitHub's secret-scanning partner program: the report format GitHub posts.
// Memberwise `package init`s are written out because Swift synthesises them only as internal.

/// One entry of GitHub's report (`[{token, type, url, source}]`).
package struct GitHubTokenReport: Codable, Sendable {
    package var token: String
    package var type: String
    package var url: String?
    package var source: String?
    package init(token: String, type: String, url: String?, source: String?) {
        self.token = token
        self.type = type
        self.url = url
        self.source = source
    }
}

/// GitHub's expected answer per entry: `{token_hash, token_type, label}`.
package struct GitHubTokenLabel: Codable, Sendable {
    package var tokenHash: String
    package var tokenType: String
    /// `true_positive` (a credential Keyward knows) or `false_positive`.
    package var label: String
    package init(tokenHash: String, tokenType: String, label: String) {
        self.tokenHash = tokenHash
        self.tokenType = tokenType
        self.label = label
    }
}
