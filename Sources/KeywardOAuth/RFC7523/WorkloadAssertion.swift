import Foundation

/// A client's trust in an external workload issuer — a Kubernetes service-account token, a CI
/// provider's OIDC token, a SPIFFE JWT-SVID — so a workload gets a short-lived token with no stored
/// secret: it presents the token its platform gave it (RFC 7523 §2.1 `jwt-bearer`). A trust names
/// one issuer, its public keys, exactly one subject and the audience the platform must have put
/// in the token; optional claim conditions narrow it further (a branch, a namespace).
package struct WorkloadTrust: Sendable, Equatable {
    package let issuer: String
    package let keys: [PublicJWK]
    package let subject: String
    package let audience: String
    /// String claims that must be present with exactly these values.
    package let claims: [String: String]

    /// Claims a condition may not name: the checks below own them.
    static let reserved: Set<String> = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]

    /// A trust as registered. Refused: an issuer that is not an absolute https URL (http only for a
    /// loopback host), a subject that is empty or holds a wildcard (`*`, `?`: a trust names one
    /// workload), an empty audience, a key set `ClientKeyPolicy` refuses, and more than 16 or
    /// reserved or empty claim conditions.
    package static func validated(issuer: String, jwksJSON: String, subject: String, audience: String, claims: [String: String] = [:]) throws(JOSEError) -> WorkloadTrust {
        try checkTerms(issuer: issuer, subject: subject, audience: audience, claims: claims)
        return WorkloadTrust(issuer: issuer, keys: try ClientKeyPolicy.validate(jwksJSON: jwksJSON), subject: subject, audience: audience, claims: claims)
    }

    /// A trust whose keys were fetched (from its `jwks_uri`) and validated by the fetcher.
    package static func validated(issuer: String, keys: [PublicJWK], subject: String, audience: String, claims: [String: String] = [:]) throws(JOSEError) -> WorkloadTrust {
        try checkTerms(issuer: issuer, subject: subject, audience: audience, claims: claims)
        return WorkloadTrust(issuer: issuer, keys: keys, subject: subject, audience: audience, claims: claims)
    }

    /// Every rule of `validated` but the keys'.
    package static func checkTerms(issuer: String, subject: String, audience: String, claims: [String: String]) throws(JOSEError) {
        guard issuer.utf8.count <= 512, let u = URLComponents(string: issuer), let host = u.host, !host.isEmpty, u.query == nil, u.fragment == nil,
              u.user == nil, u.scheme == "https" || (u.scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "::1")) else {
            throw JOSEError("issuer must be an absolute https URL (http only on loopback)")
        }
        guard !subject.isEmpty, subject.utf8.count <= 512 else { throw JOSEError("subject is required (1 to 512 bytes)") }
        guard !subject.contains("*"), !subject.contains("?") else { throw JOSEError("subject may not hold a wildcard: a trust names one workload") }
        guard !audience.isEmpty, audience.utf8.count <= 512 else { throw JOSEError("audience is required (1 to 512 bytes)") }
        guard claims.count <= 16 else { throw JOSEError("at most 16 claim conditions") }
        for (name, value) in claims {
            guard !name.isEmpty, name.utf8.count <= 128, !reserved.contains(name) else { throw JOSEError("a claim condition names an empty, too long or reserved claim") }
            guard !value.isEmpty, value.utf8.count <= 512 else { throw JOSEError("a claim condition's value must be 1 to 512 bytes") }
        }
    }
}

/// An external workload token that passed every check of its trust.
package struct ValidatedWorkloadAssertion: Sendable {
    package let issuer: String
    package let subject: String
    /// nil when the platform's tokens carry none (the caller then keys replay on the token's digest).
    package let jti: String?
    package let expiresAt: Date
    package let keyThumbprint: String
}

/// RFC 7523 §2.1 / §3 for a workload's own token presented as an authorization grant.
package enum WorkloadAssertion {
    /// Parse and the checks that need no key: an asymmetric alg, no key references in the header
    /// (jku/x5u/jwk/x5c: the trust's keys only), not one of Keyward's own token types, an `iss`.
    /// Returns the issuer, to find the trusts for it.
    package static func inspect(_ token: String) throws(JOSEError) -> (issuer: String, jws: CompactJWS) {
        let jws = try CompactJWS.parse(token)
        guard jws.algorithm != nil else { throw .algorithmRefused }
        if let typ = jws.type, typ == "at+jwt" || typ == "dpop+jwt" { throw JOSEError("typ is another kind of JWT") }
        try ClaimChecks.refuseKeyReferences(jws.header, allowingJWK: false)
        return (try ClaimChecks.string(jws.payload, "iss", maxBytes: 512), jws)
    }

    /// Signature by one of the trust's keys (by kid when present; an unknown kid fails), `iss` the
    /// trust's issuer, `sub` exactly its subject, `aud` (a string or an array) containing its
    /// audience, `exp` required, in the future (with skew) and at most `maxLifetime` ahead,
    /// `iat`/`nbf` not in the future, every claim condition equal.
    package static func verify(_ jws: CompactJWS, trust: WorkloadTrust, now: Date, clockSkew: Duration = .seconds(60),
                               maxLifetime: Duration = .seconds(7_200)) throws(JOSEError) -> ValidatedWorkloadAssertion {
        let key = try jws.signer(among: trust.keys)
        let c = jws.payload
        guard try ClaimChecks.string(c, "iss", maxBytes: 512) == trust.issuer else { throw JOSEError("iss is not the trusted issuer") }
        guard try ClaimChecks.string(c, "sub", maxBytes: 512) == trust.subject else { throw JOSEError("sub is not the trusted subject") }
        let audiences: [String] = switch c["aud"] {
        case .string(let s): [s]
        case .array(let list): list.compactMap(\.stringValue)
        default: []
        }
        guard audiences.contains(trust.audience) else { throw .audience }
        let skew = clockSkew.timeInterval
        guard let exp = try ClaimChecks.date(c, "exp", required: true) else { throw JOSEError("exp claim is missing") }
        guard exp.timeIntervalSince(now) > -skew else { throw JOSEError("exp is in the past") }
        guard exp.timeIntervalSince(now) <= skew + maxLifetime.timeInterval else { throw JOSEError("exp is further ahead than a workload token may live") }
        for name in ["iat", "nbf"] {
            if let date = try ClaimChecks.date(c, name, required: false), date.timeIntervalSince(now) > skew { throw JOSEError("\(name) is in the future") }
        }
        for (name, value) in trust.claims where c[name]?.stringValue != value {
            throw JOSEError("a required claim is missing or differs")
        }
        let jti = c["jti"] == nil ? nil : try ClaimChecks.string(c, "jti", maxBytes: 128)
        return ValidatedWorkloadAssertion(issuer: trust.issuer, subject: trust.subject, jti: jti, expiresAt: exp, keyThumbprint: key.thumbprint)
    }
}
