import KeywardCore

/// `/v1/authz`, the forward-auth endpoint for gateways (NGINX `auth_request`, Envoy `ext_authz`,
/// Traefik `ForwardAuth`, Caddy `forward_auth`). Read once at start by `keyward serve`.
package struct AuthzConfiguration: Sendable, Equatable {
    /// Peers whose calls are answered and whose forwarded headers are read
    /// (`--authz-trusted-proxy`). Default none: every call answers 403 saying how to set it.
    package var trustedProxies: [AddressRange] = []
    /// A request header that carries an API key when `Authorization` carries none
    /// (`--authz-key-header`, e.g. `X-API-Key`). Default none: only `Authorization` is read.
    package var keyHeader: String?
    /// Scopes required per route (`--authz-route`), first match wins; a request no rule matches
    /// passes with any valid credential. Default none.
    package var routes: [AuthzRule] = []

    package init() {}

    /// Whether `address` (the connection's peer) is a trusted proxy.
    package func trusts(_ address: String?) -> Bool {
        guard let address, let bytes = AddressRange.bytes(address) else { return false }
        return trustedProxies.contains { $0.contains(bytes: bytes) }
    }

    /// The first rule that matches `method` and `path`.
    package func rule(method: String, path: String) -> AuthzRule? {
        routes.first { $0.matches(method: method, path: path) }
    }

    package func validate() throws {
        if let h = keyHeader {
            guard !h.isEmpty, h.utf8.count <= 64, h.utf8.allSatisfy(AuthzRule.isTokenByte) else {
                throw KeywardError(.validation, "--authz-key-header must be a header name such as X-API-Key")
            }
            guard !["authorization", "dpop", "host", "cookie"].contains(h.lowercased()), !h.lowercased().hasPrefix("x-forwarded-") else {
                throw KeywardError(.validation, "--authz-key-header cannot be \(h): name the header your clients send their API key in, such as X-API-Key")
            }
        }
        guard routes.count <= 1_000 else { throw KeywardError(.validation, "--authz-route: at most 1000 rules") }
    }
}
