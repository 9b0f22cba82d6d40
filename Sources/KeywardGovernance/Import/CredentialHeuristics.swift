import Foundation

/// What `keyward import` does with one variable, and why (the reason is shown to the user; it
/// never holds any part of the value).
package struct ImportDecision: Sendable, Equatable {
    package var isCredential: Bool
    package var reason: String

    package static func credential(_ reason: String) -> ImportDecision { ImportDecision(isCredential: true, reason: reason) }
    package static func skip(_ reason: String) -> ImportDecision { ImportDecision(isCredential: false, reason: reason) }
}

/// Decides whether an inventory variable holds a credential: first the scanner's verdict (a
/// rule that matched the value with its key as context), then the key's name and the value's
/// shape. Pure; every decision carries its reason.
package enum CredentialHeuristics {
    /// The lengths the server keeps (characters, as it counts them: Unicode scalars).
    package static let importableLength = 8...4096

    /// A scanner rule that recognised the value.
    package struct RuleMatch: Sendable, Equatable {
        package var id: String
        package var name: String
        package init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    package static func classify(key: String, value: String, rule: RuleMatch?) -> ImportDecision {
        let decision = verdict(key: key, value: value, rule: rule)
        guard decision.isCredential else { return decision }
        if let problem = unusable(value) { return .skip(problem) }
        return decision
    }

    /// Why a value cannot be imported at all (empty, too short, too long), or nil.
    package static func unusable(_ value: String) -> String? {
        let n = value.unicodeScalars.count
        if n == 0 { return "empty value" }
        if n < importableLength.lowerBound { return "too short to be a credential (\(n) characters; 8 to 4,096 are kept)" }
        if n > importableLength.upperBound { return "too long (\(n) characters; 8 to 4,096 are kept)" }
        return nil
    }

    static func verdict(key: String, value: String, rule: RuleMatch?) -> ImportDecision {
        if let rule { return .credential("matches the scanner rule for \(rule.name)") }
        let words = nameWords(key)
        let joined = words.joined(separator: "_")
        if wellKnownCredentials.contains(joined) { return .credential("\(key) is a credential by name") }
        let v = value.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = v.lowercased()
        // The value's shape first: these are never credentials, whatever the name says.
        if v.isEmpty { return .skip("empty value") }
        if isPlaceholder(lower) { return .skip("a placeholder, not a credential") }
        if booleans.contains(lower) { return .skip("a boolean") }
        if isNumber(lower) { return .skip("a number or duration") }
        if logLevels.contains(lower) { return .skip("a log level") }
        if let url = urlParts(v) {
            if url.hasPassword { return .credential("a URL with a password in it") }
            if url.hasUser, let word = credentialWord(words) { return .credential("a URL with a user part, and the name says \(word)") }
            return .skip("a URL without credentials")
        }
        if isPath(v), !looksRandom(v) { return .skip("a file path") }
        // Then the name.
        if let marker = words.first(where: publicMarkers.contains) { return .skip("the name says \(marker): not a secret") }
        guard let word = credentialWord(words) else {
            return .skip("no scanner rule matched and the name says nothing of KEY, SECRET, TOKEN, PASSWORD…")
        }
        if let last = words.last, last != word, notSecretSuffixes.contains(last) {
            return .skip("the name ends in \(last): it describes a credential, it is not one")
        }
        return .credential("the name says \(word)")
    }

    /// The words of a variable name, upper-cased: split at `_ - . / :` and at lower→upper case
    /// changes (`apiKey` → API, KEY).
    package static func nameWords(_ key: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for ch in key {
            if "_-./: ".contains(ch) {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousLower = false
                continue
            }
            if ch.isUppercase && previousLower, !current.isEmpty {
                words.append(current)
                current = ""
            }
            current.append(contentsOf: ch.uppercased())
            previousLower = ch.isLowercase || ch.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The first word of the name that says credential: a whole word (KEY, AUTH, DSN…) or one
    /// glued into a longer word (DBPASSWORD, APITOKEN).
    static func credentialWord(_ words: [String]) -> String? {
        for w in words {
            if credentialWords.contains(w) { return w }
            if let inner = gluedCredentialWords.first(where: { w.contains($0) }) { return inner }
        }
        return nil
    }

    static let credentialWords: Set<String> = [
        "KEY", "KEYS", "SECRET", "SECRETS", "TOKEN", "TOKENS", "PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE",
        "CREDENTIAL", "CREDENTIALS", "CREDS", "PRIVATE", "AUTH", "DSN", "APIKEY", "ACCESSKEY", "SECRETKEY", "PRIVATEKEY", "AUTHKEY",
    ]
    static let gluedCredentialWords = ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL"]
    /// Names that are credentials whatever their value's shape (AWS's shared-credentials keys).
    static let wellKnownCredentials: Set<String> = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    ]
    static let publicMarkers: Set<String> = ["PUBLIC", "PUBLISHABLE", "PUB"]
    /// A last word that makes the name describe a credential rather than hold one
    /// (`JWT_SECRET_FILE`, `API_KEY_ID`, `TOKEN_TTL`, `AUTH_PROVIDER`).
    static let notSecretSuffixes: Set<String> = [
        "ID", "IDS", "NAME", "USER", "USERNAME", "LOGIN", "EMAIL", "PATH", "FILE", "DIR", "URL", "URI", "HOST", "HOSTNAME", "PORT",
        "REGION", "TTL", "TIMEOUT", "EXPIRY", "EXPIRES", "LIFETIME", "AGE", "LENGTH", "SIZE", "TYPE", "ALGORITHM", "ALG", "MODE",
        "ENABLED", "DISABLED", "VERSION", "ENDPOINT", "ISSUER", "AUDIENCE", "HEADER", "PROVIDER", "METHOD", "SCHEME", "STRATEGY",
        "SOURCE", "PROCESS", "COMMAND", "CMD", "FORMAT", "LEVEL", "COUNT", "LIMIT", "INTERVAL", "PREFIX", "FIELD", "PARAM", "ROLE",
    ]
    static let booleans: Set<String> = ["true", "false", "yes", "no", "on", "off", "enabled", "disabled", "y", "n", "t", "f"]
    static let logLevels: Set<String> = ["trace", "debug", "info", "notice", "warn", "warning", "error", "fatal", "critical", "crit", "panic", "verbose", "silly", "off"]
    static let placeholderWords: Set<String> = [
        "changeme", "change-me", "change_me", "changeit", "replaceme", "replace-me", "replace_me", "todo", "tbd", "fixme", "none", "null",
        "nil", "undefined", "example", "sample", "dummy", "placeholder", "secret", "password", "token", "redacted", "xxx", "n/a",
    ]

    static func isPlaceholder(_ v: String) -> Bool {
        if placeholderWords.contains(v) { return true }
        if (v.hasPrefix("<") && v.hasSuffix(">")) || v.hasPrefix("${") || v.hasPrefix("$(") || v.hasPrefix("{{") { return true }
        if let first = v.first, v.count >= 3, v.allSatisfy({ $0 == first }), !first.isNumber { return true }  // xxxx, ****
        for marker in ["changeme", "change_me", "change-me", "replace_me", "replace-me", "placeholder", "your_", "your-", "xxxx", "****"]
        where v.contains(marker) { return true }
        return false
    }

    /// An integer or decimal, optionally with a unit (`30s`, `5m`, `512mb`, `1.5`).
    static func isNumber(_ v: String) -> Bool {
        let digits = v.prefix(while: { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") })
        guard !digits.isEmpty, Double(digits) != nil else { return false }
        let unit = v.dropFirst(digits.count)
        return unit.isEmpty || ["ms", "s", "m", "h", "d", "w", "k", "kb", "mb", "gb", "ki", "mi", "gi", "%"].contains(String(unit))
    }

    /// `scheme://[user[:password]@]host…`: whether it carries a user and a password.
    static func urlParts(_ v: String) -> (hasUser: Bool, hasPassword: Bool)? {
        guard let sep = v.range(of: "://"), !v[..<sep.lowerBound].isEmpty,
              v[..<sep.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) }) else { return nil }
        let rest = v[sep.upperBound...]
        let authority = rest.prefix(while: { !"/?#".contains($0) })
        guard let at = authority.lastIndex(of: "@") else { return (false, false) }
        let userinfo = authority[..<at]
        if let colon = userinfo.firstIndex(of: ":") {
            return (!userinfo[..<colon].isEmpty, !userinfo[userinfo.index(after: colon)...].isEmpty)
        }
        return (!userinfo.isEmpty, false)
    }

    /// Mixed-case letters and digits over at least 16 characters: a token (base64 may start
    /// with `/`), not a path or a word.
    static func looksRandom(_ v: String) -> Bool {
        v.count >= 16 && v.contains(where: \.isUppercase) && v.contains(where: \.isLowercase) && v.contains(where: \.isNumber)
    }

    /// An absolute, home-relative or dot-relative path with no spaces.
    static func isPath(_ v: String) -> Bool {
        guard ["/", "~/", "./", "../"].contains(where: v.hasPrefix), !v.contains(" "), !v.contains("\n") else { return false }
        return true
    }
}
