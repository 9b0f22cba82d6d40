import KeywardCore
import KeywardGovernance
import Testing

/// `keyward import`'s name and value heuristics (issue 11, bug 1). Values are synthetic.
@Suite("import classification heuristics")
struct CredentialHeuristicsTests {
    static let rule = CredentialHeuristics.RuleMatch(id: "stripe.secret-key", name: "Stripe secret key")

    @Test("ordinary settings beside secrets are skipped, each with its reason", arguments: [
        ("PORT", "8080", "a number"),
        ("APP_NAME", "billing-service", "the name says nothing"),
        ("LOG_LEVEL", "debug", "a log level"),
        ("FEATURE_FLAG", "true", "a boolean"),
        ("REQUEST_TIMEOUT", "30s", "a number or duration"),
        ("REDIS_URL", "redis://cache.internal:6379/0", "a URL without credentials"),
        ("AUTH_URL", "https://auth.example.com/oauth/token", "a URL without credentials"),
        ("JWT_SECRET_FILE", "/run/secrets/jwt", "a file path"),
        ("API_KEY", "changeme", "a placeholder"),
        ("STRIPE_SECRET_KEY", "sk_live_xxxxxxxxxxxxxxxxxxxx", "a placeholder"),
        ("DB_PASSWORD", "${DB_PASSWORD}", "a placeholder"),
        ("API_KEY_ID", "12345678abc", "the name ends in ID"),
        ("AUTH_PROVIDER", "keycloak-production", "the name ends in PROVIDER"),
        ("NEXT_PUBLIC_STRIPE_KEY", "pk_live_51Hx7qLmN3pRt9", "the name says PUBLIC"),
        ("SHORT_PASSWORD", "abc", "too short"),
        ("region", "eu-west-1", "the name says nothing"),
        ("output", "json", "the name says nothing"),
    ])
    func skipped(key: String, value: String, reason: String) {
        let d = CredentialHeuristics.classify(key: key, value: value, rule: nil)
        #expect(!d.isCredential, "\(key)")
        #expect(d.reason.contains(reason), "\(key): \(d.reason)")
        #expect(!d.reason.contains(value) || value.count < 4, "a reason never carries the value")
    }

    @Test("credentials by name, by a URL's password, by a well-known AWS name", arguments: [
        ("DB_PASSWORD", "correct horse battery", "the name says PASSWORD"),
        ("SESSION_KEY", "Zx81kdP2mQ9vLr7TnB4w", "the name says KEY"),
        ("apiKey", "Zx81kdP2mQ9vLr7TnB4w", "the name says KEY"),
        ("DBPASSWORD", "Zx81kdP2mQ9vLr7T", "the name says PASSWORD"),
        ("SENTRY_DSN", "https://0f1e2d3c4b5a@o1.ingest.example.io/1", "a URL with a user part"),
        ("DATABASE_URL", "postgres://app:Zx81kdP2mQ9v@db.internal:5432/app", "a URL with a password"),
        ("SIGNING_SECRET", "/Zx81kdP2mQ9vLr7TnB4wQ8aY0", "the name says SECRET"),
        ("aws_access_key_id", "AKIAEXAMPLEFAKE00000", "a credential by name"),
        ("aws_session_token", "test-only-session-token", "a credential by name"),
    ])
    func credentials(key: String, value: String, reason: String) {
        let d = CredentialHeuristics.classify(key: key, value: value, rule: nil)
        #expect(d.isCredential, "\(key): \(d.reason)")
        #expect(d.reason.contains(reason), "\(key): \(d.reason)")
    }

    @Test("a scanner rule's match decides first, whatever the name; an unusable value is still skipped")
    func ruleFirst() {
        let d = CredentialHeuristics.classify(key: "APP_NAME", value: "sk_live_51Hx7qLmN3pRt9VwY2zKc4", rule: Self.rule)
        #expect(d == .credential("matches the scanner rule for Stripe secret key"))
        #expect(!CredentialHeuristics.classify(key: "KEY", value: String(repeating: "a1", count: 2_049), rule: Self.rule).isCredential)
    }

    @Test("name words split at _ - . and case changes")
    func words() {
        #expect(CredentialHeuristics.nameWords("NEXT_PUBLIC_stripeKey") == ["NEXT", "PUBLIC", "STRIPE", "KEY"])
        #expect(CredentialHeuristics.nameWords("tls.key") == ["TLS", "KEY"])
    }

    @Test("--only forces a skipped name, --skip skips, others drop out under --only; a forced unusable value is a problem naming it and its line")
    func selection() throws {
        let port = ImportedValue(name: "PORT", value: "8080", line: 3)
        let token = ImportedValue(name: "INTERNAL_ID", value: "Zx81kdP2mQ9vLr7T", line: 4)
        let skipped = ImportDecision.skip("the name says nothing")
        let only = ImportSelection(only: ["INTERNAL_ID", "PORT"])
        #expect(try only.apply(to: token, decision: skipped).get().isCredential)
        #expect(try ImportSelection(only: ["PORT"]).apply(to: token, decision: .credential("x")).get() == .skip("not named by --only"))
        #expect(try ImportSelection(skip: ["INTERNAL_ID"]).apply(to: token, decision: .credential("x")).get() == .skip("--skip"))
        guard case .failure(let p) = only.apply(to: port, decision: skipped) else { Issue.record("PORT forced"); return }
        #expect(p.message.hasPrefix("PORT (line 3): too short") && !p.message.contains("8080"))
        #expect(ImportSelection(only: ["NOPE"], skip: ["PORT", "ALSO"]).problems(names: ["PORT"])
            == ["no variable named NOPE, ALSO in the file (names are exact and case-sensitive)"])
        #expect(ImportSelection(only: ["PORT"], skip: ["PORT"]).problems(names: ["PORT"]) == ["PORT given to both --only and --skip"])
    }

    @Test("a variable's key: the name, the part after the profile, the data key")
    func keys() {
        #expect(ImportedValue(name: "AWS_SECRET_ACCESS_KEY", value: "", line: 1).key == "AWS_SECRET_ACCESS_KEY")
        #expect(ImportedValue(name: "prod:aws_secret_access_key", value: "", line: 1).key == "aws_secret_access_key")
        #expect(ImportedValue(name: "payments/keys:data.tls.key", value: "", line: 1).key == "tls.key")
        #expect(ImportedValue(name: "payments/keys:stringData.api-key", value: "", line: 1).key == "api-key")
    }
}
