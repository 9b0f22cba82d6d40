import Foundation
import KeywardCore

/// The answer of a verify: a value, never an error.
package struct VerifyOutcome: Sendable {
    package var reason: VerifyReason?
    package var keyID: KeyID?
    package var version: Int?
    package var identityID: IdentityID?
    package var scopes: [Scope]?
    package var expiresAt: Date?

    package var valid: Bool { reason == nil }

    package static func invalid(_ reason: VerifyReason, _ hit: KeyIndex.Hit? = nil) -> VerifyOutcome {
        VerifyOutcome(reason: reason, keyID: hit?.keyID, version: hit?.version, identityID: hit?.identityID,
                      scopes: nil, expiresAt: hit?.expiresAt)
    }
}
