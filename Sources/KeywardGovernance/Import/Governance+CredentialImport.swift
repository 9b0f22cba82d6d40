import Foundation
import KeywardCore
import KeywardScanner
import KeywardStore

/// Third-party secrets to bring into the inventory, as the client sent them; every field is
/// checked here. The plaintexts are fingerprinted at once and dropped.
package struct CredentialImport: Sendable {
    package struct Item: Sendable {
        /// Where it was found (`STRIPE_SECRET_KEY`, `prod:aws_secret_access_key`).
        package var name: String
        package var secret: String
        package var provider: String?
        package var ruleID: String?
        /// The client's view that the format is high-entropy (a digest is kept only if Keyward agrees).
        package var highEntropy: Bool?
        package init(name: String, secret: String, provider: String?, ruleID: String?, highEntropy: Bool?) {
            self.name = name
            self.secret = secret
            self.provider = provider
            self.ruleID = ruleID
            self.highEntropy = highEntropy
        }
    }
    package var identityID: String
    /// dotenv, k8s-secret, aws-credentials or api
    package var origin: String?
    package var items: [Item]
    package init(identityID: String, origin: String?, items: [Item]) {
        self.identityID = identityID
        self.origin = origin
        self.items = items
    }
}

/// Imported third-party credentials, and the scanner's rule metadata they need.
extension Governance {

    /// Brings third-party secrets into the inventory: fingerprinted under the server's HMAC key
    /// (plus SHA-256 for high-entropy formats), owner and environment from the identity, the
    /// plaintext dropped. A secret the identity already holds is not added twice.
    package func importCredentials(_ r: CredentialImport, actor: Principal) async throws -> [(Credential, Bool)] {
        guard let iid = IdentityID(r.identityID) else { throw KeywardError(.validation, "identity_id is not an identity id") }
        guard iid != .keyward else { throw KeywardError(.validation, "the built-in keyward identity holds no third-party credentials") }
        let origin = r.origin ?? "api"
        let origins = InventoryFormat.allCases.map(\.rawValue) + ["api"]
        guard origins.contains(origin) else {
            throw KeywardError(.validation, "origin must be \(origins.dropLast().joined(separator: ", ")) or api")
        }
        guard (1...1_000).contains(r.items.count) else { throw KeywardError(.validation, "items: 1 to 1,000 credentials a call") }
        struct Prepared { var name: String; var provider: String; var rule: String?; var fp: Fingerprint; var digest: SecretDigest?; var prefix: String }
        var prepared: [Prepared] = []
        for (i, item) in r.items.enumerated() {
            try Validate.text(item.name, field: "items[\(i)].name", max: 200)
            // Problems name the item by its name (a variable, `profile:key`…), never by index
            // alone, and never show its value.
            let at = "items[\(Self.quoted(item.name))]"
            guard CredentialHeuristics.importableLength.contains(Validate.length(item.secret)) else {
                throw KeywardError(.validation, "\(at).secret must be 8 to 4096 characters (it has \(Validate.length(item.secret)))")
            }
            let provider = (item.provider ?? "unknown").lowercased()
            guard Validate.isRuleName(provider) else {
                throw KeywardError(.validation, "\(at).provider is 1 to 100 characters of a-z, 0-9, . - _")
            }
            if let rule = item.ruleID, !(1...100).contains(Validate.length(rule)) { throw KeywardError(.validation, "\(at).rule_id is too long") }
            let secret = Secret(item.secret)
            // A bare SHA-256 only for a built-in high-entropy format whose value also looks
            // random — never of a password, whatever the client claims.
            let highEntropy = (item.highEntropy ?? false) && item.ruleID.map(Self.highEntropyRules.contains) == true && Self.looksHighEntropy(secret.bytes)
            let digest = highEntropy ? secret.sha256 : nil
            // Shown later as the credential's prefix: the format's public tag only (`ghp_`,
            // `AKIA`), nothing of a format without one.
            let prefix = Self.publicPrefixes.prefix(of: secret.bytes, ruleID: item.ruleID)
            prepared.append(Prepared(name: item.name, provider: provider, rule: item.ruleID, fp: fingerprints.fingerprint(secret), digest: digest,
                                     prefix: prefix))
        }
        return try await store.write { tx in
            guard let identity = try await self.store.identity(iid, in: tx.db) else { throw KeywardError.notFound("identity") }
            guard identity.status == .active else { throw KeywardError(.conflict, "the identity is decommissioned") }
            var out: [(Credential, Bool)] = []
            for p in prepared {
                let c = Credential(id: .random(), identityID: iid, name: p.name, provider: p.provider, ruleID: p.rule, environment: identity.environment,
                                   fingerprint: p.fp, digest: p.digest, prefix: p.prefix, origin: origin, status: .active, createdAt: tx.now, updatedAt: tx.now)
                let (stored, isNew) = try await self.store.insertCredential(c, in: tx)
                if isNew {
                    tx.audit(AuditEntry(actor: actor.name, action: .credentialImported, target: stored.id.description, details: [
                        "identity_id": iid.description, "name": p.name, "provider": p.provider, "origin": origin,
                        "fingerprint": p.fp.description, "prefix": p.prefix, "digest_kept": String(p.digest != nil),
                    ]))
                }
                out.append((stored, isNew))
            }
            return out
        }
    }

    /// The scanner's built-in rule metadata (nothing is compiled): which formats are
    /// high-entropy, and each provider's revocation procedure.
    static let builtInRules: [Rule] = (try? RuleSet.builtIn().rules) ?? []
    static let highEntropyRules: Set<String> = Set(builtInRules.filter(\.highEntropy).map(\.id))
    static let publicPrefixes = PublicPrefixes(rules: builtInRules)

    /// A name as it may appear in a message: at most 80 characters, quoted when it holds
    /// anything but letters, digits and `_ - . / :`.
    static func quoted(_ name: String) -> String {
        let short = String(name.prefix(80))
        return short.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-./:".contains($0)) }) ? short : "\"\(short)\""
    }

    /// How to revoke a credential at its provider: the matching rule's procedure, else the
    /// provider's first rule's, else the generic one.
    package static func revocationMethod(rule: String?, provider: String) -> String {
        if let rule, let r = builtInRules.first(where: { $0.id == rule }), let text = r.revocation { return text }
        if let r = builtInRules.first(where: { $0.provider == provider && $0.revocation != nil }), let text = r.revocation { return text }
        return "Revoke or rotate it in \(provider)'s console or API, update every holder listed in the blast radius, then mark the credential retired."
    }

    /// At least 16 bytes with at least 3 bits of Shannon entropy per character: random tokens,
    /// not words or short passwords.
    static func looksHighEntropy(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 16 else { return false }
        var counts = [Int](repeating: 0, count: 256)
        for b in bytes { counts[Int(b)] += 1 }
        let n = Double(bytes.count)
        let h = counts.reduce(0.0) { acc, c in c == 0 ? acc : acc - Double(c) / n * log2(Double(c) / n) }
        return h >= 3.0
    }
}
