import Foundation

/// Proof that a reporter held a secret, not only its SHA-256 digest.
///
/// A digest names a key, but it also sits in backups, read-only database roles and old
/// `--report-to` traffic, so a digest alone must not be enough to revoke a key. The scanner
/// sends, next to the digest, `proof = SHA-256("keyward-possession-v1:" ‖ secret)`; the server
/// keeps only `check = SHA-256(proof)` for each key version, written when the key is issued
/// (the one moment the server sees the plaintext). Knowing the digest or the check does not
/// give the proof (a SHA-256 preimage), so a proof that hashes to the check shows the reporter
/// had the plaintext. A proof seen once (in a report) only lets its holder report that same
/// key again, which the report already did.
package enum PossessionProof {
    static let domain = Array("keyward-possession-v1:".utf8)

    /// What a reporter that holds `secret` sends.
    package static func proof(of secret: some Collection<UInt8>) -> SecretDigest {
        SecretDigest(hashing: domain + Array(secret))
    }

    /// What the server stores for a key version.
    package static func check(of secret: some Collection<UInt8>) -> SecretDigest {
        check(proof: proof(of: secret))
    }

    package static func check(proof: SecretDigest) -> SecretDigest {
        SecretDigest(hashing: proof.rawBytes)
    }

    /// Whether `proof` matches the stored `check`, in constant time.
    package static func verify(_ proof: SecretDigest, against check: SecretDigest) -> Bool {
        Self.check(proof: proof).constantTimeEquals(check)
    }
}
