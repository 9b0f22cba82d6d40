import KeywardCore
import KeywardOAuth

extension Governance {
    /// A `private_key_jwt` client's keys published at `jwks_uri`: the URL must pass the server's
    /// rules (`RemoteJWKS`: allow-list, https, addresses) and is fetched once, now; a failure is a
    /// 422 naming the reason. The keys fetched are stored like inline ones (their thumbprints are
    /// what a leaked private key is matched by); the token endpoint then follows the URL.
    func remoteClientKeys(_ uri: String, field: String = "jwks_uri") async throws -> [PublicJWK] {
        guard let remoteJWKS else {
            throw KeywardError(.validation, "\(field): this server accepts no jwks_uri; register the keys inline as jwks")
        }
        try Validate.optionalText(uri, field: field, max: 2_048)
        try Validate.noCredential(uri, field: field)
        do {
            _ = try RemoteJWKS.target(uri, allowList: remoteJWKS.settings.allowList)
            return try await remoteJWKS.fetch(uri)
        } catch {
            throw KeywardError(.validation, "\(field): \(error.reason)")
        }
    }
}
