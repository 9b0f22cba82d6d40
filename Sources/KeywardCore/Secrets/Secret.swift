import Crypto
import Foundation

/// A plaintext credential held in memory. Deliberately not `Codable`; its descriptions never
/// show more than a short prefix, so string interpolation into a log cannot leak it.
package struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let bytes: [UInt8]

    package init(_ string: String) { self.bytes = Array(string.utf8) }
    package init(bytes: [UInt8]) { self.bytes = bytes }

    /// The plaintext, for the single response that issues it.
    package func reveal() -> String { String(decoding: bytes, as: UTF8.self) }

    package var description: String { "Secret(\(displayPrefix)…(redacted))" }
    package var debugDescription: String { description }

    /// A short, non-secret prefix: the `kw_<env>_` tag plus 4 characters (the display id) for
    /// Keyward keys; nothing for any other secret (a third-party format's public prefix is the
    /// scanner's to know, see `PublicPrefixes`).
    package var displayPrefix: String {
        guard bytes.starts(with: Array("kw_live_".utf8)) || bytes.starts(with: Array("kw_test_".utf8)) else { return "" }
        return String(decoding: bytes.prefix(min(12, bytes.count / 3)), as: UTF8.self)
    }

    /// SHA-256 lookup digest.
    package var sha256: SecretDigest { SecretDigest(hashing: bytes) }

    /// Constant-time comparison (swift-crypto's `safeCompare` on the digests keeps length private too).
    package func constantTimeEquals(_ other: Secret) -> Bool {
        let a = SHA256.hash(data: bytes)
        let b = SHA256.hash(data: other.bytes)
        return a == b // SHA256Digest's == is constant-time in swift-crypto
    }
}
