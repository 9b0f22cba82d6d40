import Crypto
import Foundation

/// One link of the hash-chained audit log. `details` holds only non-secret values and HMAC
/// fingerprints; it is stored as the exact canonical JSON text that was hashed.
package struct AuditRecord: Sendable, Equatable {
    package var seq: Int64
    package var at: Int64
    package var actor: String
    package var action: String
    package var target: String
    package var details: String
    package var prevHash: String
    package var hash: String

    package static let genesisHash = String(repeating: "0", count: 64)

    package init(seq: Int64, at: Int64, actor: String, action: String, target: String, details: String, prevHash: String, hash: String) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
        self.prevHash = prevHash
        self.hash = hash
    }

    /// Builds the next link after (`prevSeq`, `prevHash`).
    package static func next(after prevSeq: Int64, prevHash: String, at: Int64, entry: AuditEntry) -> AuditRecord {
        let details = entry.canonicalDetails
        var r = AuditRecord(seq: prevSeq + 1, at: at, actor: entry.actor, action: entry.action.rawValue, target: entry.target,
                            details: details, prevHash: prevHash, hash: "")
        r.hash = r.computeHash()
        return r
    }

    /// SHA-256 over length-prefixed fields, so no two records share an encoding.
    package func computeHash() -> String {
        var h = SHA256()
        for field in ["keyward-audit-v1", String(seq), String(at), actor, action, target, details, prevHash] {
            let bytes = Array(field.utf8)
            h.update(data: Array(String(bytes.count).utf8) + [0x3A])
            h.update(data: bytes)
        }
        return Hex.encode(Array(h.finalize()))
    }
}

/// What a change asks to have audited; the store chains it in the change's transaction.
package struct AuditEntry: Sendable, Equatable {
    package var actor: String
    package var action: AuditAction
    package var target: String
    package var details: [String: String]

    package init(actor: String, action: AuditAction, target: String, details: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
    }

    /// Sorted-key JSON text of `details`.
    package var canonicalDetails: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: enc.encode(details), as: UTF8.self)) ?? "{}"
    }
}
