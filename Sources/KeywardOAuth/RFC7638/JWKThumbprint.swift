import Crypto
import Foundation
import KeywardCore

/// RFC 7638 JWK thumbprints: SHA-256 over the key's required public members, in lexicographic
/// order, with no whitespace, base64url without padding. What a DPoP-bound token's `cnf.jkt`
/// names (RFC 9449 §6.1), and what the scanner reports for a leaked private key (its public
/// half's thumbprint, never the key). Written here because the packages in the mirror offer no
/// RFC 7638 function over a parsed JWK's members.
package enum JWKThumbprint {
    package enum Failure: Error, Equatable, Sendable {
        /// `kty` missing or not EC, RSA or OKP.
        case unsupportedKeyType
        /// A required member is missing or not a string.
        case missingMember(String)
    }

    /// The members RFC 7638 §3.2 requires for each key type (private members never count).
    static func requiredMembers(kty: String) -> [String]? {
        switch kty {
        case "EC": ["crv", "kty", "x", "y"]
        case "RSA": ["e", "kty", "n"]
        case "OKP": ["crv", "kty", "x"] // RFC 8037 §2
        default: nil
        }
    }

    /// The thumbprint of a JWK given as its JSON object's members.
    package static func sha256(_ jwk: [String: Any]) throws(Failure) -> String {
        try sha256(kty: jwk["kty"] as? String) { jwk[$0] as? String }
    }

    /// The thumbprint of a JWK given as strictly parsed members (RFC7517's `PublicJWK`).
    package static func sha256(members jwk: [String: JSONValue]) throws(Failure) -> String {
        try sha256(kty: jwk["kty"]?.stringValue) { jwk[$0]?.stringValue }
    }

    static func sha256(kty: String?, member: (String) -> String?) throws(Failure) -> String {
        guard let kty, let members = requiredMembers(kty: kty) else { throw .unsupportedKeyType }
        var json = "{"
        for (i, name) in members.enumerated() {
            guard let value = member(name) else { throw .missingMember(name) }
            json += (i == 0 ? "" : ",") + "\"\(name)\":" + JSONText.quoted(value)
        }
        json += "}"
        return Base64URL.encode(SHA256.hash(data: Array(json.utf8)))
    }

    /// The thumbprint of a JWK given as JSON text.
    package static func sha256(json: String) throws(Failure) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { throw .unsupportedKeyType }
        return try sha256(object)
    }
}
