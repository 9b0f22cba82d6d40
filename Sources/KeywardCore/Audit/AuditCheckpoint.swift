import Crypto
import Foundation

/// The Ed25519-signed head of the audit chain: `{seq, hash, signature}` (+ the public key).
package struct AuditCheckpoint: Sendable, Equatable, Codable {
    package var seq: Int64
    package var hash: String
    package var signature: String
    package var publicKey: String

    enum CodingKeys: String, CodingKey {
        case seq, hash, signature
        case publicKey = "public_key"
    }

    package init(seq: Int64, hash: String, signature: String, publicKey: String) {
        self.seq = seq
        self.hash = hash
        self.signature = signature
        self.publicKey = publicKey
    }

    package static func message(seq: Int64, hash: String) -> [UInt8] {
        Array("keyward-audit-checkpoint:v1:\(seq):\(hash)".utf8)
    }

    package static func sign(seq: Int64, hash: String, with key: Curve25519.Signing.PrivateKey) throws -> AuditCheckpoint {
        let sig = try key.signature(for: message(seq: seq, hash: hash))
        return AuditCheckpoint(seq: seq, hash: hash, signature: Data(sig).base64EncodedString(),
                               publicKey: key.publicKey.rawRepresentation.base64EncodedString())
    }

    /// Checks the signature with `trusted` (or, lacking it, the key the checkpoint names).
    package func isValidSignature(trusted: Curve25519.Signing.PublicKey?) -> Bool {
        guard let sig = Data(base64Encoded: signature) else { return false }
        let key: Curve25519.Signing.PublicKey
        if let trusted {
            key = trusted
        } else {
            guard let raw = Data(base64Encoded: publicKey),
                  let k = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            key = k
        }
        return key.isValidSignature(sig, for: AuditCheckpoint.message(seq: seq, hash: hash))
    }
}
