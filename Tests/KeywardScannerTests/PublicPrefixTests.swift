import Foundation
import KeywardTesting
import KeywardCore
import KeywardScanner
import Testing

/// Redacted previews (issue 11, bug 6): a format's public prefix where it has one, else no
/// character of the secret. Needs only the rules' data, no compile.
@Suite("public prefixes and redacted previews")
struct PublicPrefixTests {
    static let rules = (try? RuleSet.builtIn().rules) ?? []
    static let prefixes = PublicPrefixes(rules: rules)

    static func preview(_ secret: String, _ rule: String?) -> String {
        Redaction.preview(Array(secret.utf8), publicPrefix: prefixes.prefix(of: Array(secret.utf8), ruleID: rule))
    }

    @Test("GitHub ghp_, AWS AKIA, Stripe sk_live_, Slack xoxb- show their tag only; an AWS secret key and a password show nothing")
    func previews() {
        var rng = SeededRandom()
        let body = String(decoding: Base62.random(count: 36, using: &rng), as: UTF8.self)
        #expect(Self.preview("ghp_" + body, "github.pat-classic") == "ghp_…(40 chars, redacted)")
        #expect(Self.preview("AKIA" + body.prefix(16), "aws.access-key-id") == "AKIA…(20 chars, redacted)")
        #expect(Self.preview("sk_live_" + body, "stripe.secret-key") == "sk_live_…(44 chars, redacted)")
        #expect(Self.preview("xoxb-" + body, "slack.bot-token") == "xoxb-…(41 chars, redacted)")
        let awsSecret = String(body.prefix(34)) + "/+aB9z"
        #expect(Self.preview(awsSecret, "aws.secret-access-key") == "…(40 chars, redacted)")
        #expect(Self.preview("correct-horse-battery", "generic.password-unquoted") == "…(21 chars, redacted)")
        #expect(Self.preview("correct-horse-battery", nil) == "…(21 chars, redacted)")
        // A context word at the start of a secret is not a prefix (aws.secret-access-key's keyword is "secret").
        #expect(Self.preview("secret" + body.prefix(34), "aws.secret-access-key") == "…(40 chars, redacted)")
    }

    @Test("a keyword is a prefix only for rules whose every example secret starts with one")
    func derivedFromExamples() {
        let withPrefix = Set(Self.rules.indices.filter { !Self.prefixes.byRuleForTesting($0).isEmpty }.map { Self.rules[$0].id })
        #expect(withPrefix.isSuperset(of: ["github.pat-classic", "aws.access-key-id", "stripe.secret-key", "slack.bot-token", "npm.access-token"]))
        #expect(withPrefix.isDisjoint(with: ["aws.secret-access-key", "generic.password-unquoted", "azure.storage-account-key", "twilio.auth-token"]))
        #expect(withPrefix.count >= 100, "most provider formats carry a tag")
    }

    @Test("a tag the pattern spells out is shown even where the keywords are shorter: OpenAI sk-proj-, Anthropic sk-ant-api03-, GitLab glpat-")
    func literalHeads() {
        var rng = SeededRandom()
        func random(_ n: Int) -> String { String(decoding: Base62.random(count: n, using: &rng), as: UTF8.self) }
        let openai = "sk-proj-" + random(24) + "T3BlbkFJ" + random(24)
        #expect(Self.preview(openai, "openai.api-key") == "sk-proj-…(\(openai.count) chars, redacted)")
        let anthropic = "sk-ant-api03-" + random(93) + "AA"
        #expect(Self.preview(anthropic, "anthropic.api-key") == "sk-ant-api03-…(\(anthropic.count) chars, redacted)")
        #expect(Self.preview("glpat-" + random(20), "gitlab.pat") == "glpat-…(26 chars, redacted)")
        // A context rule's secret starts with a class: no head, nothing shown.
        #expect(Self.preview(random(40), "aws.secret-access-key") == "…(40 chars, redacted)")
    }
}
