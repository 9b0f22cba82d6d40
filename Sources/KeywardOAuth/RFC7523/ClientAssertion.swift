import Foundation

/// A client assertion that passed the checks that need no key; `clientID` is its `iss` (== `sub`).
package struct UnverifiedAssertion: Sendable {
    package let clientID: String
    package let jws: CompactJWS
}

/// A client assertion whose signature and claims were checked. The caller still records
/// (`clientID`, `jti`) until `expiresAt` to refuse a replay (RFC 7523 §3 item 7; case 7).
package struct ValidatedAssertion: Sendable {
    package let clientID: String
    package let jti: String
    package let expiresAt: Date
    /// RFC 7638 thumbprint of the registered key that verified the signature.
    package let keyThumbprint: String
}

/// `private_key_jwt` client authentication (RFC 7523 §2.2, §3; RFC 7521 §4.2).
package enum ClientAssertion {
    /// Parse and the checks that need no key: alg in JWSAlgorithm (none/HS*/unknown refused), typ absent or "JWT"
    /// (at+jwt / dpop+jwt refused: RFC 8725 §3.11), no jku/x5u/jwk/x5c/crit in the header, iss and sub strings,
    /// equal, non-empty; formClientID (when given) equal to them.
    package static func inspect(_ assertion: String, formClientID: String?) throws(JOSEError) -> UnverifiedAssertion {
        try matching(inspect(assertion), formClientID: formClientID)
    }

    /// `a`, when the form's `client_id` (if any) names the same client (RFC 7521 §4.2).
    package static func matching(_ a: UnverifiedAssertion, formClientID: String?) throws(JOSEError) -> UnverifiedAssertion {
        if let formClientID, formClientID != a.clientID { throw JOSEError("client_id in the form differs from the assertion's sub") }
        return a
    }

    /// The checks that need neither a key nor the form.
    package static func inspect(_ assertion: String) throws(JOSEError) -> UnverifiedAssertion {
        let jws = try CompactJWS.parse(assertion)
        // RFC 8725 §3.1: only the asymmetric algorithms Keyward lists; never none or HMAC.
        guard jws.algorithm != nil else { throw .algorithmRefused }
        // RFC 8725 §3.11: explicit typing keeps an access token or a DPoP proof from passing as an assertion.
        if jws.header["typ"] != nil, jws.type != "jwt" { throw JOSEError("typ is not JWT: another kind of JWT cannot be an assertion") }
        try ClaimChecks.refuseKeyReferences(jws.header, allowingJWK: false)
        // RFC 7523 §3 items 1–2, RFC 7521 §4.2: for client authentication iss and sub are both the client_id.
        let iss = try ClaimChecks.string(jws.payload, "iss")
        let sub = try ClaimChecks.string(jws.payload, "sub")
        guard iss == sub else { throw JOSEError("iss and sub differ: both must be the client_id") }
        return UnverifiedAssertion(clientID: sub, jws: jws)
    }

    /// Signature by one of `keys` (by kid when the header has one — an unknown kid fails, no fallback; else try each
    /// key whose alg matches), aud a string equal to one of requirements.audiences OR an array of exactly one such
    /// string (every other shape — several values, [], null, number — fails with the SAME reason), exp required and
    /// numeric and > now − skew and ≤ now + skew + maxLifetime, iat/nbf when present ≤ now + skew, jti required,
    /// string, 1…maxJTIBytes bytes.
    package static func verify(_ a: UnverifiedAssertion, keys: [PublicJWK], requirements: AssertionRequirements, now: Date) throws(JOSEError) -> ValidatedAssertion {
        let jws = a.jws
        let key = try jws.signer(among: keys)
        let claims = jws.payload
        // RFC 7523 §3 item 3 and rfc7523bis: aud is this server, as one value; one answer for every other shape (case 4).
        let audience: String? = switch claims["aud"] {
        case .string(let s): s
        case .array(let list) where list.count == 1: list[0].stringValue
        default: nil
        }
        guard let audience, requirements.audiences.contains(audience) else { throw .audience }
        let skew = requirements.clockSkew.timeInterval
        // RFC 7523 §3 item 4: exp required; the assertion is refused after it.
        guard let exp = try ClaimChecks.date(claims, "exp", required: true) else { throw JOSEError("exp claim is missing") }
        guard exp.timeIntervalSince(now) > -skew else { throw JOSEError("exp is in the past") }
        guard exp.timeIntervalSince(now) <= skew + requirements.maxLifetime.timeInterval else { throw JOSEError("exp is further ahead than the maximum assertion lifetime") }
        // RFC 7523 §3 items 5–6, FAPI 2.0 §5.3.2.1: not issued in the future (beyond the skew).
        for name in ["iat", "nbf"] {
            if let date = try ClaimChecks.date(claims, name, required: false), date.timeIntervalSince(now) > skew {
                throw JOSEError("\(name) is in the future")
            }
        }
        // RFC 7523 §3 item 7: jti for replay detection; bounded because it is stored (case 8).
        let jti = try ClaimChecks.string(claims, "jti", maxBytes: requirements.maxJTIBytes)
        return ValidatedAssertion(clientID: a.clientID, jti: jti, expiresAt: exp, keyThumbprint: key.thumbprint)
    }
}
