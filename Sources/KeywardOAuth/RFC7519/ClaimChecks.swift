import Foundation

/// Claim checks shared by client assertions, DPoP proofs and access tokens (RFC 7519 §4.1).
/// Every failure's reason names the claim, never its value.
enum ClaimChecks {
    /// A NumericDate (RFC 7519 §2): a JSON number of seconds since the epoch.
    static func date(_ claims: [String: JSONValue], _ name: String, required: Bool) throws(JOSEError) -> Date? {
        guard let value = claims[name] else {
            if required { throw JOSEError("\(name) claim is missing") }
            return nil
        }
        guard let seconds = value.numberValue else { throw JOSEError("\(name) claim is not a number") }
        return Date(timeIntervalSince1970: seconds)
    }

    /// A string claim of 1…maxBytes UTF-8 bytes.
    static func string(_ claims: [String: JSONValue], _ name: String, maxBytes: Int = .max) throws(JOSEError) -> String {
        guard let value = claims[name] else { throw JOSEError("\(name) claim is missing") }
        guard let s = value.stringValue else { throw JOSEError("\(name) claim is not a string") }
        guard !s.isEmpty, s.utf8.count <= maxBytes else { throw JOSEError("\(name) claim is empty or too long") }
        return s
    }

    /// A header member that names a key source other than the registration is present.
    static func refuseKeyReferences(_ header: [String: JSONValue], allowingJWK: Bool) throws(JOSEError) {
        // RFC 8725 §3.10 / RFC 7515 §4.1.2–4.1.6: keys named by the token itself would let the sender choose them.
        for name in ["jku", "x5u", "x5c"] where header[name] != nil { throw .headerKeyReferenceRefused }
        if !allowingJWK, header["jwk"] != nil { throw .headerKeyReferenceRefused }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
