import Foundation
import KeywardCore
import KeywardStore

/// An exposure as it arrived, validated; plaintext (if any) already reduced to a digest and a
/// fingerprint under the server's key.
package struct IncomingExposure: Sendable {
    /// What the report shows about who held the secret (README: who may revoke).
    package enum Evidence: Sendable {
        /// The server saw the plaintext (leak intelligence over TLS, a signed partner report).
        case plaintext
        /// A possession proof beside the digest; it counts only if it matches the stored check.
        case proof(SecretDigest)
        /// A digest, a fingerprint or a location only.
        case none
    }
    package var record: ExposureRecord
    /// SHA-256 computed from a plaintext, used for matching even when it is not stored.
    package var matchDigest: SecretDigest?
    package var serverFingerprint: Fingerprint?
    package var evidence: Evidence
    package init(record: ExposureRecord, matchDigest: SecretDigest?, serverFingerprint: Fingerprint?, evidence: Evidence) {
        self.record = record
        self.matchDigest = matchDigest
        self.serverFingerprint = serverFingerprint
        self.evidence = evidence
    }
}
