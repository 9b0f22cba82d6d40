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
    /// signing secret and URL), bound to `owner` (the id of the row that holds it) as associated
    /// data, so a sealed value copied into another row does not open there (case 72 of
    /// docs/security-cases.md). `v2:` then base64 of nonce ‖ ciphertext ‖ tag.
    package func seal(_ value: String, purpose: String, owner: String) throws -> String {
        let box = try AES.GCM.seal(Array(value.utf8), using: derivedKey(purpose: purpose), authenticating: Array(owner.utf8))
        guard let combined = box.combined else { throw KeywardError(.internalError, "sealing failed") }
        return Self.boundPrefix + combined.base64EncodedString()
    }

    /// Opens what `seal(_:purpose:owner:)` sealed for the same purpose and owner; anything else
    /// (another row's value, an unbound value, another key) is refused.
    package func open(_ sealed: String, purpose: String, owner: String) throws -> String {
        guard sealed.hasPrefix(Self.boundPrefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.boundPrefix.count))),
              let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: derivedKey(purpose: purpose), authenticating: Array(owner.utf8)) else {
            throw KeywardError(.internalError, "a sealed value cannot be opened (another row's value, or was the HMAC key changed?)")
        }
        return String(decoding: plain, as: UTF8.self)
    }

    /// Whether `sealed` was sealed before values were bound to their row (before 0.12).
    package static func isUnbound(_ sealed: String) -> Bool { !sealed.hasPrefix(boundPrefix) }

    /// Opens a value sealed before 0.12, with no owner; only to reseal it bound (`resealUnbound`).
    package func openUnbound(_ sealed: String, purpose: String) throws -> String {
        guard Self.isUnbound(sealed), let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: derivedKey(purpose: purpose)) else {
            throw KeywardError(.internalError, "a sealed value cannot be opened (was the HMAC key changed?)")
        }
        return String(decoding: plain, as: UTF8.self)
    }

    private static let boundPrefix = "v2:"
}

/// An HMAC-SHA256 fingerprint (hex). Safe to store, log and send.
package struct Fingerprint: Hashable, Sendable, Codable, CustomStringConvertible {
    package let hex: String
    package init(hex: String) { self.hex = hex }
    package var description: String { "hmac-sha256:\(hex)" }
}
