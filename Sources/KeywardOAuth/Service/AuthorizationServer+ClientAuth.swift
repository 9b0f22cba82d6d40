import Foundation
import KeywardCore

/// A client that proved possession of a registered key, and the assertion it proved it with
/// (nil for `tls_client_auth`: the TLS handshake was the proof).
struct AuthenticatedClient: Sendable {
    var entry: ClientIndex.Entry
    var assertion: ValidatedAssertion?
}

extension AuthorizationServer {
    /// `private_key_jwt` client authentication (RFC 7523 §2.2, RFC 7521 §4.2) at `endpoint`, or
    /// `tls_client_auth` (RFC 8705 §2.1) by the connection's `certificate`.
    /// Basic credentials beside an assertion are a malformed request (case 10); Basic alone is
    /// a shared secret Keyward does not accept. A failure is audited, with a fingerprint only.
    func authenticate(_ form: FormBody, hasBasicAuth: Bool, certificate: PresentedCertificate?, endpoint: String,
                      now: Date) async throws(OAuthFailure) -> AuthenticatedClient {
        let assertion = try field(form, "client_assertion")
        let type = try field(form, "client_assertion_type")
        let formClientID = try field(form, "client_id")
        if hasBasicAuth {
            if assertion != nil { throw OAuthFailure(.invalidRequest, "use one client authentication method per request") }
            throw OAuthFailure(.invalidClient, "client_secret_basic is not accepted: authenticate with private_key_jwt")
        }
        if form.names.contains("client_secret") {
            throw OAuthFailure(.invalidClient, "client secrets are not accepted: authenticate with private_key_jwt")
        }
        guard let assertion else {
            if let formClientID, let id = OAuthClientID(formClientID), let entry = clients.client(id), entry.client.authMethod == .tlsClientAuth {
                do { return try authenticateByCertificate(entry, certificate, now: now) } catch {
                    await auditFailure(error, clientID: formClientID, assertion: nil)
                    throw error
                }
            }
            throw OAuthFailure(.invalidClient, "client authentication is required (private_key_jwt or tls_client_auth)")
        }
        guard type == Self.assertionType else {
            throw OAuthFailure(.invalidRequest, "client_assertion_type must be \(Self.assertionType)")
        }
        // The client a failure is audited against: the form's, or the assertion's own once it parsed.
        var auditID = formClientID
        do {
            let unverified = try ClientAssertion.inspect(assertion, formClientID: formClientID)
            auditID = unverified.clientID
            guard let id = OAuthClientID(unverified.clientID), let entry = clients.client(id), entry.client.status == .active else {
                throw OAuthFailure(.invalidClient, "client authentication failed")
            }
            let keys = try await registeredKeys(entry, kid: unverified.jws.header["kid"]?.stringValue)
            do {
                let validated = try ClientAssertion.verify(unverified, keys: keys,
                                                           requirements: requirements(endpoint: endpoint), now: now)
                return AuthenticatedClient(entry: entry, assertion: validated)
            } catch {
                throw OAuthFailure(.invalidClient, "client authentication failed: \(error.reason)")
            }
        } catch let f as OAuthFailure {
            await auditFailure(f, clientID: auditID, assertion: assertion)
            throw f
        } catch {
            let f = OAuthFailure(.invalidClient, "client authentication failed: \((error as? JOSEError)?.reason ?? "malformed assertion")")
            await auditFailure(f, clientID: auditID, assertion: assertion)
            throw f
        }
    }

    /// RFC 8705 §2.1: the certificate the TLS handshake verified against the configured client
    /// CAs (never a header, case 28) must be valid now, made for client authentication (case 26)
    /// and match the client's registered subject DN or SAN (case 23).
    private func authenticateByCertificate(_ entry: ClientIndex.Entry, _ certificate: PresentedCertificate?,
                                           now: Date) throws(OAuthFailure) -> AuthenticatedClient {
        guard entry.client.status == .active, let rule = entry.tlsRule else { throw OAuthFailure(.invalidClient, "client authentication failed") }
        // case 21: no certificate, no client.
        guard let certificate else {
            throw OAuthFailure(.invalidClient, "client authentication failed: tls_client_auth needs a TLS client certificate on the connection")
        }
        if let why = certificate.refusal(at: now) { throw OAuthFailure(.invalidClient, "client authentication failed: \(why)") }
        guard rule.matches(certificate) else {
            throw OAuthFailure(.invalidClient, "client authentication failed: the client certificate does not match the registered subject")
        }
        return AuthenticatedClient(entry: entry, assertion: nil)
    }

    /// The keys an assertion may be signed with: the registered set, or for a `jwks_uri` client
    /// the set published there (`RemoteJWKS`: cached, fetched again for an unknown kid at most
    /// once per 30 s). A fetch that fails is a failed authentication (case 20), never a 5xx.
    private func registeredKeys(_ entry: ClientIndex.Entry, kid: String?) async throws(OAuthFailure) -> [PublicJWK] {
        guard let uri = entry.client.jwksURI else { return entry.keys }
        guard let remoteJWKS else { throw OAuthFailure(.invalidClient, "client authentication failed: this server fetches no jwks_uri") }
        do {
            return try await remoteJWKS.keys(uri, kid: kid)
        } catch {
            throw OAuthFailure(.invalidClient, "client authentication failed: the client's jwks_uri: \(error.reason)")
        }
    }

    private func requirements(endpoint: String) -> AssertionRequirements {
        var r = AssertionRequirements(audiences: settings.assertionAudiences(endpoint: endpoint))
        r.clockSkew = settings.clockSkew
        return r
    }
}
