/// Why a JOSE object, JWK, form body or claim set was refused. The reason is a fixed sentence
/// chosen by the check that failed, never text taken from the token: it is safe to log and to
/// put in an audit record.
package struct JOSEError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What failed, safe to log: never token content.
    package let reason: String

    package init(_ reason: String) { self.reason = reason }

    package var description: String { reason }
}

extension JOSEError {
    // Reasons that callers and tests compare against; the others are written where they fail.
    package static let tooLarge = JOSEError("token larger than the limit")
    package static let notThreeSegments = JOSEError("not a compact JWS (three base64url segments)")
    package static let jweRefused = JOSEError("JWE is not accepted (five segments or enc header): never decrypted")
    package static let badBase64URL = JOSEError("segment is not strict base64url (alphabet, no padding, no whitespace, canonical bits)")
    package static let duplicateMember = JOSEError("JSON object repeats a member name")
    package static let tooDeep = JOSEError("JSON nested deeper than the limit")
    package static let critRefused = JOSEError("crit header present: no JWS extension is understood")
    package static let algorithmRefused = JOSEError("alg not accepted (none, HS*, and algorithms other than ES256, EdDSA, RS256, PS256)")
    package static let headerKeyReferenceRefused = JOSEError("header names a key (jku, x5u, jwk or x5c): keys come only from registration")
    package static let badSignature = JOSEError("signature does not verify")
    package static let unknownKeyID = JOSEError("kid names no registered key")
    package static let audience = JOSEError("aud must be exactly one of this server's identifiers (a string or a one-element array)")
}
