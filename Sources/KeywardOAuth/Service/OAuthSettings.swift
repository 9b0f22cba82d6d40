import Foundation

/// The authorization server's settings, with documented defaults:
/// - `issuer`: the identifier every token carries and every `htu` is built from — the URL the
///   clients reach this server at (`serve` takes it from `--issuer`, else `http(s)://host:port`);
///   never the request's Host header.
/// - access tokens live 5 minutes by default and at most 1 hour (a request may ask for less);
/// - 60 s of clock skew for assertion and proof times (FAPI 2.0 §5.3.2.1);
/// - DPoP server nonces off by default (`requireDPoPNonce`): a proof then needs no round trip.
package struct OAuthSettings: Sendable {
    package var issuer: String
    package var defaultTokenLifetime: Duration
    package var maxTokenLifetime: Duration
    package var clockSkew: Duration
    package var requireDPoPNonce: Bool
    /// The `aud` of tokens requested with no `resource`: the APIs behind Keyward's verify.
    package var defaultAudience: String
    /// The server runs TLS with client CAs (`--client-ca`): `tls_client_auth` and
    /// certificate-bound tokens are offered in the metadata (RFC 8705 §3.3, §5).
    package var mutualTLS: Bool
    /// RFC 8705 §7.4: base64url SHA-256 of each `--client-ca` certificate (empty: no client CA,
    /// so no `tls_client_auth`). A client's CA pin must name one of them.
    package var clientCAThumbprints: [String] = []
    /// `serve --self-signed-client-certs`: the handshake accepts self-signed client certificates
    /// and `self_signed_tls_client_auth` is offered (RFC 8705 §2.2).
    package var selfSignedClientCertificates = false

    package init(issuer: String, defaultTokenLifetime: Duration = .seconds(300), maxTokenLifetime: Duration = .seconds(3_600),
                 clockSkew: Duration = .seconds(60), requireDPoPNonce: Bool = false, defaultAudience: String? = nil, mutualTLS: Bool = false) {
        self.mutualTLS = mutualTLS
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        self.issuer = trimmed
        self.defaultTokenLifetime = defaultTokenLifetime
        self.maxTokenLifetime = maxTokenLifetime
        self.clockSkew = clockSkew
        self.requireDPoPNonce = requireDPoPNonce
        self.defaultAudience = defaultAudience ?? trimmed
    }

    package var tokenEndpoint: String { issuer + "/oauth/token" }
    package var introspectionEndpoint: String { issuer + "/oauth/introspect" }
    package var revocationEndpoint: String { issuer + "/oauth/revoke" }
    package var jwksURI: String { issuer + "/.well-known/jwks.json" }
    package var verifyEndpoint: String { issuer + "/v1/keys/verify" }

    /// What an assertion's `aud` may name at an endpoint (RFC 7523 §3 item 3; no other audience
    /// after the 2025 audience-injection findings): the issuer identifier or that endpoint's URL.
    package func assertionAudiences(endpoint: String) -> Set<String> { [issuer, endpoint, tokenEndpoint] }

    static func seconds(_ d: Duration) -> TimeInterval {
        TimeInterval(d.components.seconds) + TimeInterval(d.components.attoseconds) / 1e18
    }
}
