import Crypto
import Foundation

/// The server's HMAC key: fingerprints of secrets for leak matching and for audit records.
package struct FingerprintKey: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    package init(bytes: [UInt8]) throws {
        guard bytes.count >= 32 else {
            throw KeywardError(.validation, "the HMAC key must be at least 32 bytes")
        }
        keyBytes = bytes
    }

    package static func generate() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// HMAC-SHA256 fingerprint, written `hmac-sha256:<hex>`.
    package func fingerprint(_ secret: Secret) -> Fingerprint {
        Fingerprint(hex: Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: secret.bytes, using: key))))
    }

    /// Fingerprint of an arbitrary sensitive value (e.g. a revoke reason is not sensitive, a
    /// bearer token is): for audit details.
    package func fingerprint(value: String) -> Fingerprint {
        Fingerprint(hex: Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key))))
    }
}

extension FingerprintKey {
    /// A separate key for another purpose (HKDF-SHA256 over the HMAC key), so one configured
    /// secret serves several uses without any two sharing a key.
    private func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array("keyward/\(purpose)".utf8), outputByteCount: 32)
    }

    /// AES-256-GCM seal of a small value the server must be able to read back (a webhook's
    /// signing secret), as base64 of nonce ‖ ciphertext ‖ tag.
    package func seal(_ value: String, purpose: String) throws -> String {
        guard let combined = try AES.GCM.seal(Array(value.utf8), using: derivedKey(purpose: purpose)).combined else {
            throw KeywardError(.internalError, "sealing failed")
        }
        return combined.base64EncodedString()
    }

    package func open(_ sealed: String, purpose: String) throws -> String {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: derivedKey(purpose: purpose)) else {
            throw KeywardError(.internalError, "a sealed value cannot be opened (was the HMAC key changed?)")
        }
        return String(decoding: plain, as: UTF8.self)
    }
}

/// An HMAC-SHA256 fingerprint (hex). Safe to store, log and send.
package struct Fingerprint: Hashable, Sendable, Codable, CustomStringConvertible {
    package let hex: String
    package init(hex: String) { self.hex = hex }
    package var description: String { "hmac-sha256:\(hex)" }
}
