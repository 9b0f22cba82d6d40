import Crypto
import Foundation

/// Keyward's access tokens: RFC 9068 JWTs signed with ES256.
package enum AccessToken {
    /// RFC 9068: header {"typ":"at+jwt","alg":"ES256","kid":…}; claims iss, sub, client_id, aud, scope (space-joined),
    /// iat, exp (integer seconds), jti, cnf {"jkt"} or {"x5t#S256"}.
    package static func mint(_ claims: AccessTokenClaims, key: TokenSigningKey) -> String {
        var members: [(String, String)] = [
            ("iss", JSONText.quoted(claims.issuer)), ("sub", JSONText.quoted(claims.subject)),
            ("client_id", JSONText.quoted(claims.clientID)), ("aud", JSONText.quoted(claims.audience)),
            ("scope", JSONText.quoted(claims.scope.joined(separator: " "))),
            ("iat", String(seconds(claims.issuedAt))), ("exp", String(seconds(claims.expiresAt))), ("jti", JSONText.quoted(claims.jti)),
        ]
        switch claims.confirmation {
        case .jkt(let t)?: members.append(("cnf", JSONText.object([("jkt", JSONText.quoted(t))])))
        case .x5tS256(let t)?: members.append(("cnf", JSONText.object([("x5t#S256", JSONText.quoted(t))])))
        case nil: break
        }
        var signingInput = key.encodedHeaderAndDot
        signingInput += Base64URL.encode(JSONText.object(members).utf8).utf8
        // ECDSA signing with P-256 only fails on a broken key object, which swift-crypto does not produce.
        let signature = try! key.privateKey.signature(for: signingInput)
        return String(decoding: signingInput, as: UTF8.self) + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// Strict parse (CompactJWS), typ at+jwt, alg ES256, kid → key via `publicKey(kid)` (nil: fails), signature, exp > now
    /// (no skew: our own clock), claims decoded. Failures carry a reason safe to log.
    package static func verify(_ token: String, publicKey: (String) -> P256.Signing.PublicKey?, now: Date) throws(JOSEError) -> AccessTokenClaims {
        let jws = try CompactJWS.parse(token)
        // RFC 9068 §4 item 2: typ at+jwt; RFC 8725 §3.11: nothing else passes as an access token.
        guard jws.type == "at+jwt" else { throw JOSEError("typ is not at+jwt") }
        // RFC 9068 §4 item 4 / RFC 8725 §3.1: only the algorithm Keyward signs with.
        guard jws.algorithm == .es256 else { throw .algorithmRefused }
        guard let kid = jws.header["kid"]?.stringValue, let key = publicKey(kid) else { throw .unknownKeyID }
        guard jws.signature.count == 64, let signature = try? P256.Signing.ECDSASignature(rawRepresentation: jws.signature),
              key.isValidSignature(signature, for: jws.signingInput) else { throw .badSignature }
        let c = jws.payload
        // RFC 9068 §4 item 6: expired tokens are refused; the clock is ours, so no skew.
        guard let exp = try ClaimChecks.date(c, "exp", required: true), exp > now else { throw JOSEError("access token has expired") }
        guard let iat = try ClaimChecks.date(c, "iat", required: true) else { throw JOSEError("iat claim is missing") }
        let scope = c["scope"].flatMap(\.stringValue).map { $0.split(separator: " ").map(String.init) } ?? []
        return AccessTokenClaims(
            issuer: try ClaimChecks.string(c, "iss"), subject: try ClaimChecks.string(c, "sub"),
            clientID: try ClaimChecks.string(c, "client_id"), audience: try ClaimChecks.string(c, "aud"), scope: scope,
            issuedAt: iat, expiresAt: exp, jti: try ClaimChecks.string(c, "jti"), confirmation: try confirmation(c["cnf"]))
    }

    /// Cheap shape check (three base64url segments, first decodes to a header with typ at+jwt) to route a verify call.
    package static func looksLikeAccessToken(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count <= 8 * 1024, utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2, let dot = utf8.firstIndex(of: UInt8(ascii: ".")),
              let bytes = Base64URL.decode(utf8[..<dot]), let header = try? StrictJSON.object(bytes) else { return false }
        return CompactJWS.type(of: header) == "at+jwt"
    }

    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    /// RFC 7800 §3.1 cnf with exactly one of RFC 9449's jkt or RFC 8705's x5t#S256.
    static func confirmation(_ value: JSONValue?) throws(JOSEError) -> TokenConfirmation? {
        guard let value else { return nil }
        guard let cnf = value.objectValue, cnf.count == 1 else { throw JOSEError("cnf claim is not a single confirmation") }
        if let jkt = cnf["jkt"]?.stringValue { return .jkt(jkt) }
        if let x5t = cnf["x5t#S256"]?.stringValue { return .x5tS256(x5t) }
        throw JOSEError("cnf claim is not a single confirmation")
    }
}
