import Foundation
import KeywardCore
import KeywardStore

extension Governance {
    /// case 59 of docs/security-cases.md: a rejected partner report is audited (no body, no token).
    /// `suppressedBefore`: rejections over the audit budget since the last audited one.
    package func auditRejectedPartnerReport(keyID: String, reason: String, remote: String?, suppressedBefore: Int) async throws {
        try await store.write { tx in
            tx.audit(AuditEntry(actor: "github-partner", action: .exposureRejected, target: "exposures/github", details: [
                "reason": reason, "key_identifier": String(keyID.prefix(128)), "remote": remote ?? "",
                "suppressed_before": String(suppressedBefore),
            ]))
        }
    }
}
