import Foundation
import KeywardAPI
import KeywardCore

extension AuditRecordResponse {
    init(_ r: AuditRecord) {
        let details = (try? JSONDecoder().decode([String: String].self, from: Data(r.details.utf8))) ?? [:]
        self.init(seq: r.seq, at: Date(unixMillis: r.at), actor: r.actor, action: r.action, target: r.target, details: details,
                  prevHash: r.prevHash, hash: r.hash)
    }
}
