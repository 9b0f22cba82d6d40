import Foundation
import KeywardAPI
import KeywardScanner

extension ScanCommand {
    /// Posts findings in batches of at most 1,000: the SHA-256 of high-entropy secrets,
    /// only rule and location for low-entropy ones (DESIGN.md), never a plaintext.
    func report(_ findings: [Finding], to url: String, token: String?) async throws {
        guard let u = URL(string: url), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
            throw CLIExit.error("--report-to must be an http(s):// URL of a Keyward server")
        }
        guard let token, !token.isEmpty else { throw CLIExit.error("--report-to needs KEYWARD_TOKEN (a key with keyward:report)") }
        let client = APIClient(base: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token)
        var accepted = 0, duplicates = 0
        var matched: [ExposureResult] = []
        let dates = ISO8601DateFormatter()
        for start in stride(from: 0, to: findings.count, by: 1_000) {
            let items = findings[start..<min(start + 1_000, findings.count)].map { f in
                // For history findings, the first commit's date is when the secret was first exposed:
                // the server's incident hunt starts there.
                ExposureItem(ruleId: f.ruleId, provider: f.provider, sha256: f.highEntropy ? f.digest : nil,
                             possessionProof: f.highEntropy ? f.possessionProof : nil, fingerprint: nil,
                             path: f.path, line: f.line, commit: f.commit, firstSeen: f.date.flatMap { dates.date(from: $0) },
                             jwkThumbprint: f.jwkThumbprint)
            }
            let receipt = try await client.call("POST", "/v1/exposures", body: ExposureReport(source: .scanner, items: items), as: ExposureReceipt.self)
            accepted += receipt.accepted
            duplicates += receipt.duplicates
            matched += (receipt.results ?? []).filter { $0.action != nil || Self.matchedWords($0.classification) != nil }
        }
        Output.note("keyward scan: reported \(findings.count) findings to \(url) (\(accepted) new, \(duplicates) already known)")
        for r in matched {
            let what = Self.matchedWords(r.classification) ?? "a credential classified \(r.classification)"
            let told = r.notified == false ? "; nobody was notified (no webhook subscribes to incident.opened)" : ""
            Output.note("keyward scan: \(what) was matched; action \(r.action ?? "none"), incident \(r.incidentId ?? "-")\(told)")
        }
    }

    /// The server's classification (`ExposureResult.classification`) in words; the scan never
    /// claims more than the server did. nil: nothing known was matched (unknown, withheld).
    static func matchedWords(_ classification: String) -> String? {
        switch classification {
        case "valid": return "a valid Keyward key (verify still accepted it)"
        case "already_revoked": return "an already revoked credential"
        case "rotated": return "a rotated-out credential version"
        case "expired": return "an expired credential"
        case "already_quarantined": return "an already quarantined credential"
        case "third_party": return "a registered third-party credential"
        default: return nil
        }
    }
}
