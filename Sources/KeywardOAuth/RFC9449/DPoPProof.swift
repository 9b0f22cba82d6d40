import Crypto
import Foundation

/// A DPoP proof that passed RFC 9449 §4.3's checks. The caller still checks `nonce` (when it
/// requires one) and records (`jkt`, `jti`) to refuse a replay (§11.1; case 33).
package struct ValidatedDPoPProof: Sendable {
    /// RFC 7638 thumbprint of the proof's key: what `cnf.jkt` binds a token to (§6.1).
    package let jkt: String
    package let jti: String
    package let issuedAt: Date
    package let nonce: String?
}

/// Checking a `DPoP` header (RFC 9449 §4.3).
package enum DPoPProof {
    package static let maxJTIBytes = 128

    /// RFC 9449 §4.3: exactly one header value; typ "dpop+jwt"; alg asymmetric from JWSAlgorithm; header `jwk` a
    /// public key (private members refused) that verifies the signature; jti (1…128 bytes); htm == method (exact);
    /// htu matches expectedURI via HTTPTargetURI.matches; iat within ±clockSkew of now; when accessToken is given,
    /// ath == base64url(SHA-256(ASCII token)) required; no jku/x5u/crit. Nonce is returned, checked by the caller.
    package static func validate(headerValues: [String], method: String, expectedURI: String, accessToken: String?,
                                 now: Date, clockSkew: Duration = .seconds(60), keyCache: DPoPKeyCache? = nil) throws(JOSEError) -> ValidatedDPoPProof {
        // §4.3 step 1: not more than one DPoP header (and, here, exactly one).
        guard headerValues.count == 1 else { throw JOSEError("exactly one DPoP header is required") }
        // Steps 2–3: a well-formed JWS (crit refused by the parser).
        let jws = try CompactJWS.parse(headerValues[0])
        // Step 4: typ is dpop+jwt.
        guard jws.type == "dpop+jwt" else { throw JOSEError("DPoP proof typ is not dpop+jwt") }
        // Step 5: an asymmetric algorithm, never none or a MAC.
        guard let alg = jws.algorithm else { throw .algorithmRefused }
        try ClaimChecks.refuseKeyReferences(jws.header, allowingJWK: true)
        // Step 6: the jwk header is a public key.
        guard let members = jws.header["jwk"]?.objectValue else { throw JOSEError("DPoP proof has no jwk header object") }
        let headerText = String(decoding: jws.signingInput.prefix { $0 != UInt8(ascii: ".") }, as: UTF8.self)
        let key: PublicJWK
        if let cached = keyCache?.key(header: headerText) {
            key = cached
        } else {
            key = try PublicJWK.parse(members)
            keyCache?.store(key, header: headerText)
        }
        // Step 7: the signature verifies with that key.
        guard key.verify(signature: jws.signature, signingInput: jws.signingInput, alg: alg) else { throw .badSignature }
        let claims = jws.payload
        // Step 8 / §4.2: jti, bounded because it is stored in the replay cache.
        let jti = try ClaimChecks.string(claims, "jti", maxBytes: maxJTIBytes)
        // Step 9: htm matches the request's method.
        guard claims["htm"]?.stringValue == method else { throw JOSEError("DPoP proof htm does not match the request method") }
        // Step 10: htu matches the request URI, without query and fragment, after RFC 3986 normalisation.
        guard let htu = claims["htu"]?.stringValue, HTTPTargetURI.matches(htu, expected: expectedURI) else {
            throw JOSEError("DPoP proof htu does not match the request URI")
        }
        // Step 11: iat within an acceptable window.
        guard let iat = try ClaimChecks.date(claims, "iat", required: true) else { throw JOSEError("iat claim is missing") }
        guard abs(iat.timeIntervalSince(now)) <= clockSkew.timeInterval else { throw JOSEError("DPoP proof iat is outside the accepted window") }
        // Step 12 / §4.2: at a resource, ath is the hash of the access token presented with the proof.
        if let accessToken {
            let expected = Base64URL.encode(SHA256.hash(data: Array(accessToken.utf8)))
            guard let ath = claims["ath"]?.stringValue, ath.utf8.elementsEqual(expected.utf8) else {
                throw JOSEError("DPoP proof ath is missing or does not hash the access token")
            }
        }
        let nonce: String?
        switch claims["nonce"] {
        case nil: nonce = nil
        case .string(let s): nonce = s
        default: throw JOSEError("DPoP proof nonce is not a string")
        }
        return ValidatedDPoPProof(jkt: key.thumbprint, jti: jti, issuedAt: iat, nonce: nonce)
    }
}
