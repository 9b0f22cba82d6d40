import Crypto
import Foundation
import KeywardAPI
import KeywardCore
import KeywardScanner
import KeywardStore

/// Consumers, imported third-party credentials and webhook subscriptions.
extension ManagementService {
    // MARK: consumers

    package func createConsumer(_ r: ConsumerCreateRequest, actor: Actor) async throws -> Consumer {
        try Validate.text(r.name, field: "name", max: 200)
        guard let kind = ConsumerKind(rawValue: r.kind) else {
            throw KeywardError(.validation, "kind must be one of \(ConsumerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try Validate.token(r.environment, field: "environment")
        try Validate.optionalText(r.contact, field: "contact", max: 200)
        let holds = r.holds ?? []
        guard holds.count <= 100 else { throw KeywardError(.validation, "holds: at most 100 credentials") }
        return try await store.write { tx in
            for h in holds {
                let known: Bool
                if let k = KeyID(h) { known = try await self.store.key(k, in: tx.db) != nil }
                else if let c = CredentialID(h) { known = try await self.store.credential(c, in: tx.db) != nil }
                else { throw KeywardError(.validation, "holds: each entry is a key id (key_…) or a credential id (crd_…)") }
                guard known else { throw KeywardError(.validation, "holds: \(h) does not exist") }
            }
            let c = Consumer(id: .random(), name: r.name, kind: kind, environment: r.environment, contact: r.contact, holds: holds, createdAt: tx.now)
            try await self.store.insertConsumer(c, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: "consumer.created", target: c.id.description, details: [
                "name": c.name, "kind": kind.rawValue, "environment": c.environment, "holds": Set(holds).sorted().joined(separator: " "),
            ]))
            return Consumer(id: c.id, name: c.name, kind: c.kind, environment: c.environment, contact: c.contact, holds: Set(holds).sorted(), createdAt: c.createdAt)
        }
    }

    // MARK: imported credentials

    /// Brings third-party secrets into the inventory: fingerprinted under the server's HMAC key
    /// (plus SHA-256 for high-entropy formats), owner and environment from the identity, the
    /// plaintext dropped. A secret the identity already holds is not added twice.
    package func importCredentials(_ r: CredentialImportRequest, actor: Actor) async throws -> [(Credential, Bool)] {
        guard let iid = IdentityID(r.identityId) else { throw KeywardError(.validation, "identity_id is not an identity id") }
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
            if let rule = item.ruleId, !(1...100).contains(Validate.length(rule)) { throw KeywardError(.validation, "\(at).rule_id is too long") }
            let secret = Secret(item.secret)
            // A bare SHA-256 only for a built-in high-entropy format whose value also looks
            // random — never of a password, whatever the client claims.
            let highEntropy = (item.highEntropy ?? false) && item.ruleId.map(Self.highEntropyRules.contains) == true && Self.looksHighEntropy(secret.bytes)
            let digest = highEntropy ? secret.sha256 : nil
            // Shown later as the credential's prefix: the format's public tag only (`ghp_`,
            // `AKIA`), nothing of a format without one.
            let prefix = Self.publicPrefixes.prefix(of: secret.bytes, ruleID: item.ruleId)
            prepared.append(Prepared(name: item.name, provider: provider, rule: item.ruleId, fp: fingerprints.fingerprint(secret), digest: digest,
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
                    tx.audit(AuditEntry(actor: actor.name, action: "credential.imported", target: stored.id.description, details: [
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

    // MARK: webhooks

    package static let webhookEvents = ["incident.opened", "incident.contained", "incident.resolved", "key.revoked", "key.rotated", "key.expiring"]
    static let webhookSealPurpose = "webhook-secret"
    static let webhookURLSealPurpose = "webhook-url"

    /// Creates a subscription; returns it with its signing secret (shown once).
    package func createWebhook(_ r: WebhookCreateRequest, actor: Actor) async throws -> (WebhookRecord, String) {
        let (scheme, host, port) = try Validate.webhookURL(r.url)
        guard !r.events.isEmpty, r.events.count <= 20, r.events.allSatisfy({ $0 == "*" || Self.webhookEvents.contains($0) }) else {
            throw KeywardError(.validation, "events: one or more of \(Self.webhookEvents.joined(separator: ", ")) or *")
        }
        let secret = "whsec_" + Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        let sealed = try fingerprints.seal(secret, purpose: Self.webhookSealPurpose)
        let sealedURL = try fingerprints.seal(r.url, purpose: Self.webhookURLSealPurpose)
        let display = "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") + "/…"
        return try await store.write { tx in
            let w = WebhookRecord(id: .random(), urlSealed: sealedURL, urlDisplay: display, secretSealed: sealed, events: Array(Set(r.events)).sorted(), status: "active", createdAt: tx.now)
            try await self.store.insertWebhook(w, in: tx)
            tx.audit(AuditEntry(actor: actor.name, action: "webhook.created", target: w.id.description, details: [
                "url_host": host, "events": w.events.joined(separator: " "), "secret_fingerprint": self.fingerprints.fingerprint(value: secret).description,
            ]))
            return (w, secret)
        }
    }
}
