/// What a `private_key_jwt` client assertion must satisfy beyond its signature (RFC 7523 §3).
package struct AssertionRequirements: Sendable {
    /// The issuer identifier and the token endpoint URL, exact strings (RFC 7523 §3 item 3;
    /// rfc7523bis: nothing else, against the 2025 audience-injection attacks).
    package var audiences: Set<String>
    /// Tolerance for the client's clock on exp, iat and nbf.
    package var clockSkew: Duration = .seconds(60)
    /// exp may be at most now + skew + this: a long-lived assertion is a reusable credential.
    package var maxLifetime: Duration = .seconds(300)
    /// Longest jti accepted (it is stored in the replay cache).
    package var maxJTIBytes: Int = 128

    package init(audiences: Set<String>) { self.audiences = audiences }
}
