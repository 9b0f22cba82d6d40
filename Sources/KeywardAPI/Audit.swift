import Foundation

package struct AuditRecordResponse: Codable, Sendable {
    package var seq: Int64
    package var at: Date
    package var actor: String
    package var action: String
    package var target: String
    package var details: [String: String]
    package var prevHash: String
    package var hash: String
    package init(seq: Int64, at: Date, actor: String, action: String, target: String, details: [String: String], prevHash: String, hash: String) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
        self.prevHash = prevHash
        self.hash = hash
    }
}

package struct CheckpointResponse: Codable, Sendable {
    package var seq: Int64
    package var hash: String
    package var signature: String
    package var publicKey: String
    package init(seq: Int64, hash: String, signature: String, publicKey: String) {
        self.seq = seq
        self.hash = hash
        self.signature = signature
        self.publicKey = publicKey
    }
}
