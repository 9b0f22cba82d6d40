import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore

/// `POST /v1/exposures` (bearer with `keyward:report`): scanner findings and leak intelligence,
/// matched to the inventory and contained by policy in the same transaction. At most 1,000 items
/// or 1 MiB a call (413 beyond), within the reporter's quota (429). A plaintext `secret` is
/// accepted only over TLS (or from loopback when configured), reduced at once to a SHA-256 digest
/// and an HMAC fingerprint, and dropped.
struct ExposureRoutes {
    let governance: Governance
    let auth: Authenticator
    /// Every connection is TLS (the server was started with --tls-cert).
    let tls: Bool
    /// `--accept-plaintext-from-loopback`.
    let plaintextFromLoopback: Bool
    let quota: ReporterQuota
    /// This node's usage flush: after containment, the incidents' hunts are completed with it.
    let flushUsage: @Sendable () async -> Void
    static let maxItems = 1_000
    static let maxBytes = 1 << 20

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, auth = auth, tls = tls, fromLoopback = plaintextFromLoopback, quota = quota, flushUsage = flushUsage
        let io = JSONIO(maxBodyBytes: Self.maxBytes)
        table.add(.post, "/v1/exposures")
        router.post("/v1/exposures") { req, ctx in
            let receivedAt = m.now()
            let actor = try auth.require(.report, req)
            let (report, bytes) = try await io.decodeCounted(ExposureReport.self, from: req)
            guard report.items.count <= Self.maxItems else {
                throw KeywardError(.payloadTooLarge, "at most \(Self.maxItems) items a call; split the report")
            }
            if let wait = quota.admit(reporter: actor.name, items: report.items.count, bytes: bytes) {
                throw KeywardError(.rateLimited, "this reporter's exposure quota is used up; retry later", retryAfter: wait)
            }
            let plaintextAllowed = tls || (fromLoopback && ctx.isLoopback)
            let incoming = try report.items.enumerated().map { i, item in
                try Self.validate(item, index: i, source: report.source, plaintextAllowed: plaintextAllowed, fingerprints: m.fingerprints)
            }
            let outcomes = try await m.intake(incoming, source: report.source.rawValue, receivedAt: receivedAt, actor: actor)
            await m.completeHunts(outcomes.filter { !$0.duplicate }.compactMap(\.incidentID), flushUsage: flushUsage)
            let results = outcomes.map(ExposureResult.init)
            let accepted = results.filter { !$0.duplicate }.count
            return try io.respond(ExposureReceipt(accepted: accepted, duplicates: results.count - accepted, results: results), status: .accepted)
        }
    }

    /// The base64url alphabet (RFC 4648 §5).
    static func isBase64URL(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2D || b == 0x5F
    }

    static func validate(_ i: ExposureItem, index: Int, source: ExposureReport.Source, plaintextAllowed: Bool,
                         fingerprints: FingerprintKey) throws -> IncomingExposure {
        func bad(_ m: String) -> KeywardError { KeywardError(.validation, "items[\(index)]: \(m)") }
        guard Validate.isRuleName(i.ruleId) else { throw bad("rule_id is 1 to 100 characters of a-z, 0-9, . - _") }
        var digest: String?
        if let d = i.sha256 {
            guard let parsed = SecretDigest(hex: d) else { throw bad("sha256 must be 64 hex characters") }
            digest = parsed.hex
        }
        if let f = i.fingerprint {
            let hex = f.hasPrefix("hmac-sha256:") ? f.dropFirst("hmac-sha256:".count) : ""
            guard (16...64).contains(hex.count), hex.utf8.allSatisfy({ Hex.nibble($0) != nil }) else { throw bad("fingerprint must be hmac-sha256:<hex>") }
        }
        if let p = i.provider, Validate.length(p) > 100 { throw bad("provider is too long") }
        if let p = i.path, Validate.length(p) > 4096 { throw bad("path is too long") }
        if let u = i.url, Validate.length(u) > 2048 { throw bad("url is too long") }
        // Paths and URLs are shown to people later (incidents, terminals): no control or bidi characters, NUL included.
        for (field, text) in [("path", i.path), ("url", i.url), ("provider", i.provider)] {
            guard let text else { continue }
            do {
                try Validate.printable(text, field: field)
                try Validate.noCredential(text, field: field)
            } catch let e as KeywardError {
                throw bad(e.message)
            }
        }
        if let c = i.commit, !(4...64).contains(c.utf8.count) || !c.utf8.allSatisfy({ Hex.nibble($0) != nil }) { throw bad("commit must be a hex object id") }
        if let l = i.line, !(1...1_000_000_000).contains(l) { throw bad("line must be from 1 to 1,000,000,000") }
        var evidence = IncomingExposure.Evidence.none
        if let p = i.possessionProof {
            guard digest != nil else { throw bad("possession_proof goes with sha256") }
            guard let proof = SecretDigest(hex: p) else { throw bad("possession_proof must be 64 hex characters") }
            evidence = .proof(proof)
        }
        var matchDigest: SecretDigest?
        var serverFingerprint: Fingerprint?
        if let secret = i.secret {
            // The value itself is never echoed, logged or stored.
            guard plaintextAllowed else { throw bad("a plaintext secret is accepted only over TLS; send its sha256 and possession_proof instead") }
            guard source != .scanner else { throw bad("the scanner never sends plaintext; send sha256") }
            guard (8...4096).contains(Validate.length(secret)) else { throw bad("secret must be 8 to 4096 characters") }
            guard digest == nil else { throw bad("give sha256 or secret, not both") }
            let s = Secret(secret)
            matchDigest = s.sha256
            serverFingerprint = fingerprints.fingerprint(s)
            evidence = .plaintext
        }
        if let t = i.jwkThumbprint {
            // RFC 7638 SHA-256: 43 base64url characters.
            guard t.utf8.count == 43, t.utf8.allSatisfy(Self.isBase64URL) else {
                throw bad("jwk_thumbprint must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)")
            }
        }
        guard digest != nil || matchDigest != nil || i.fingerprint != nil || i.path != nil || i.url != nil || i.jwkThumbprint != nil else {
            throw bad("give sha256, secret, fingerprint, jwk_thumbprint, path or url")
        }
        let record = ExposureRecord(source: source.rawValue, ruleID: i.ruleId, provider: i.provider, digest: digest, scannerFingerprint: i.fingerprint,
                                    path: i.path, line: i.line, commit: i.commit?.lowercased(), url: i.url, firstSeen: i.firstSeen,
                                    keyThumbprint: i.jwkThumbprint)
        return IncomingExposure(record: record, matchDigest: matchDigest, serverFingerprint: serverFingerprint, evidence: evidence)
    }
}
