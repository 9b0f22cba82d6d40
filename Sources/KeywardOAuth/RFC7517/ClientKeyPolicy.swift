/// What Keyward accepts as a client's registered keys (RFC 7591 `jwks`). SECURITY-CASES case 19.
package enum ClientKeyPolicy {
    package static let maxKeys = 10
    package static let maxJWKSBytes = 64 * 1024

    /// A client's registered JWKS (RFC 7591 `jwks`, `{"keys":[…]}`): 1…10 keys, each public, each with `alg`
    /// from JWSAlgorithm, RSA ≥ 2048 bits, EC on P-256 only, kids unique when present. Case 19 of SECURITY-CASES.
    /// The same key (by thumbprint) twice is refused too.
    package static func validate(jwksJSON: String) throws(JOSEError) -> [PublicJWK] {
        guard jwksJSON.utf8.count <= maxJWKSBytes else { throw JOSEError("jwks is larger than 64 KiB") }
        let set = try StrictJSON.object(jwksJSON.utf8)
        // RFC 7517 §5.1: "keys" is an array of JWK objects.
        guard let entries = set["keys"]?.arrayValue else { throw JOSEError("jwks has no keys array") }
        guard (1...maxKeys).contains(entries.count) else { throw JOSEError("jwks must hold 1 to 10 keys") }
        var keys: [PublicJWK] = []
        var kids: Set<String> = [], thumbprints: Set<String> = []
        for entry in entries {
            guard let members = entry.objectValue else { throw JOSEError("jwks entry is not a JSON object") }
            let key = try PublicJWK.parse(members)
            // RFC 8725 §3.1: each key is pinned to one algorithm, so a verifier never guesses.
            guard key.alg != nil else { throw JOSEError("jwks key has no alg: each key must name its algorithm") }
            // RFC 7517 §4.5: kids distinguish keys within a set.
            if let kid = key.kid, !kids.insert(kid).inserted { throw JOSEError("jwks repeats a kid") }
            guard thumbprints.insert(key.thumbprint).inserted else { throw JOSEError("jwks repeats a key") }
            keys.append(key)
        }
        return keys
    }
}
