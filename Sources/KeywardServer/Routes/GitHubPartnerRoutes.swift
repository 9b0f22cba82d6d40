import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore
import NIOCore
import Synchronization

/// GitHub's secret-scanning partner program keys: `key_identifier` → P-256 public key, loaded
/// from a file in the format GitHub publishes (`{"public_keys":[{"key_identifier","key","is_current"}]}`).
package struct GitHubPartnerKeys: Sendable {
    /// x9.63 bytes per key id (swift-crypto's key type is not Sendable here; rebuilding it per
    /// report costs microseconds).
    let keys: [String: Data]

    package init(keys: [String: Data] = [:]) { self.keys = keys }

    package static func load(_ path: String) throws -> GitHubPartnerKeys {
        struct File: Decodable {
            struct Key: Decodable {
                var keyIdentifier: String
                var key: String
            }
            var publicKeys: [Key]
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeywardError(.validation, "--github-keys-file \(path): cannot read the file")
        }
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        guard let file = try? dec.decode(File.self, from: data) else {
            throw KeywardError(.validation, "--github-keys-file \(path): expected {\"public_keys\":[{\"key_identifier\":…,\"key\":…}]}")
        }
        var keys: [String: Data] = [:]
        for k in file.publicKeys {
            guard let pk = try? P256.Signing.PublicKey(pemRepresentation: k.key) else {
                throw KeywardError(.validation, "--github-keys-file \(path): key \(k.keyIdentifier.prefix(80)) is not a P-256 public key in PEM")
            }
            keys[k.keyIdentifier] = pk.x963Representation
        }
        return GitHubPartnerKeys(keys: keys)
    }

    /// Whether `signature` (base64 of a DER ECDSA P-256 signature) signs `body` under the key
    /// named `identifier`. Unknown ids and malformed signatures are simply not valid.
    func verify(identifier: String, signature: String, body: ByteBuffer) -> Verdict {
        guard let raw = keys[identifier], let key = try? P256.Signing.PublicKey(x963Representation: raw) else { return .unknownKey }
        guard let sigBytes = Data(base64Encoded: signature), let sig = try? P256.Signing.ECDSASignature(derRepresentation: sigBytes) else {
            return .badSignature
        }
        return key.isValidSignature(sig, for: Data(body.readableBytesView)) ? .valid : .badSignature
    }

    enum Verdict: String { case valid, unknownKey = "unknown_key_id", badSignature = "bad_signature" }
}

/// `POST /v1/exposures/github`: GitHub's secret-scanning partner format, authenticated by
/// GitHub's signature over the raw body instead of a bearer key. Answers
/// `[{token_hash, token_type, label}]`. A bad signature or unknown key id is a 401, audited,
/// and nothing is recorded or revoked. Delivering the same report again is a no-op.
struct GitHubPartnerRoutes {
    let governance: Governance
    let keys: GitHubPartnerKeys
    /// This node's usage flush: after containment, the incidents' hunts are completed with it.
    let flushUsage: @Sendable () async -> Void
    let rejections = RejectionBudget(perMinute: 60)
    static let maxBytes = 1 << 20
    static let maxItems = 1_000

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let m = governance, keys = keys, rejections = rejections, flushUsage = flushUsage
        let io = JSONIO(maxBodyBytes: Self.maxBytes)
        table.add(.post, "/v1/exposures/github")
        router.post("/v1/exposures/github") { req, ctx in
            let receivedAt = m.now()
            let keyID = req.headers[HTTPField.Name("Github-Public-Key-Identifier")!] ?? ""
            let signature = req.headers[HTTPField.Name("Github-Public-Key-Signature")!] ?? ""
            var request = req
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: Self.maxBytes) } catch {
                throw KeywardError(.payloadTooLarge, "the request body exceeds \(Self.maxBytes) bytes")
            }
            let verdict: GitHubPartnerKeys.Verdict = keyID.isEmpty || signature.isEmpty ? .badSignature
                : keys.verify(identifier: keyID, signature: signature, body: body)
            guard verdict == .valid else {
                if let suppressed = rejections.admit(now: receivedAt) {
                    try await m.auditRejectedPartnerReport(keyID: keyID, reason: verdict.rawValue, remote: ctx.remoteAddress, suppressedBefore: suppressed)
                }
                throw KeywardError(.unauthorized, "the GitHub signature is not valid for this body")
            }
            let entries: [GitHubTokenReport]
            do { entries = try WireCoding.decoder().decode([GitHubTokenReport].self, from: Data(body.readableBytesView)) } catch {
                throw KeywardError(.badRequest, "expected a JSON array of {token, type, url, source}")
            }
            guard entries.count <= Self.maxItems else { throw KeywardError(.payloadTooLarge, "at most \(Self.maxItems) tokens a call") }
            var incoming: [IncomingExposure] = []
            var digests: [SecretDigest] = []
            for (i, e) in entries.enumerated() {
                guard (8...4096).contains(Validate.length(e.token)) else { throw KeywardError(.validation, "[\(i)].token must be 8 to 4096 characters") }
                guard (1...100).contains(Validate.length(e.type)) else { throw KeywardError(.validation, "[\(i)].type must be 1 to 100 characters") }
                if let u = e.url, Validate.length(u) > 2048 { throw KeywardError(.validation, "[\(i)].url is too long") }
                if let u = e.url { try Validate.printable(u, field: "[\(i)].url") }
                let secret = Secret(e.token)
                let rule = "github-partner." + String(e.type.lowercased().map { c -> Character in
                    c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_") ? c : "_"
                }.prefix(80))
                let record = ExposureRecord(source: ExposureReport.Source.partner.rawValue, ruleID: rule, provider: "github-secret-scanning",
                                            digest: nil, scannerFingerprint: nil, path: nil, line: nil, commit: nil,
                                            url: e.url ?? "github:\(e.source ?? "content")", firstSeen: nil)
                digests.append(secret.sha256)
                // GitHub saw the plaintext and signed the report: possession shown.
                incoming.append(IncomingExposure(record: record, matchDigest: digests[i], serverFingerprint: m.fingerprints.fingerprint(secret),
                                                 evidence: .plaintext))
            }
            let results = try await m.intake(incoming, source: ExposureReport.Source.partner.rawValue, receivedAt: receivedAt,
                                             actor: Principal(name: "github-partner:\(keyID.prefix(64))", isAdmin: false))
            await m.completeHunts(results.filter { !$0.duplicate }.compactMap(\.incidentID), flushUsage: flushUsage)
            let labels = zip(entries.indices, results).map { i, r in
                GitHubTokenLabel(tokenHash: digests[i].hex, tokenType: entries[i].type,
                                 label: r.classification == .unknown ? "false_positive" : "true_positive")
            }
            return try io.respond(labels)
        }
    }
}

/// At most `perMinute` audited rejections a minute, so a flood of forged reports cannot turn
/// into a flood of synchronous audit writes. Rejections over the budget are still refused and
/// counted; the count goes into the next audited one, so the audit log shows every rejection.
final class RejectionBudget: Sendable {
    private let perMinute: Int
    private let state = Mutex<(windowStart: Date, used: Int, suppressed: Int)>((.distantPast, 0, 0))

    init(perMinute: Int) { self.perMinute = perMinute }

    /// nil: over budget (counted, not audited); otherwise how many were suppressed before this one.
    func admit(now: Date) -> Int? {
        state.withLock { s in
            if now.timeIntervalSince(s.windowStart) >= 60 { s.windowStart = now; s.used = 0 }
            guard s.used < perMinute else { s.suppressed += 1; return nil }
            s.used += 1
            defer { s.suppressed = 0 }
            return s.suppressed
        }
    }
}
