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

/// An HMAC-SHA256 fingerprint (hex). Safe to store, log and send.
package struct Fingerprint: Hashable, Sendable, Codable, CustomStringConvertible {
    package let hex: String
    package init(hex: String) { self.hex = hex }
    package var description: String { "hmac-sha256:\(hex)" }
}
