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
            if let formClientID, let id = OAuthClientID(formClientID), let entry = clients.client(id),
               [.tlsClientAuth, .selfSignedTLSClientAuth].contains(entry.client.authMethod) {
                do { return try authenticateByCertificate(entry, certificate, now: now) } catch {
                    await auditFailure(error, clientID: formClientID, assertion: nil)
                    throw error
                }
            }
            throw OAuthFailure(.invalidClient, "client authentication is required (private_key_jwt, tls_client_auth or self_signed_tls_client_auth)")
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
            // RFC 7591 §2: the registered method only; a self-signed client's keys sign no assertion.
            if entry.client.authMethod == .selfSignedTLSClientAuth {
                throw OAuthFailure(.invalidClient, "client authentication failed: this client authenticates with its TLS certificate")
            }
            do {
                let validated = try ClientAssertion.verify(unverified, keys: entry.keys,
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

    /// RFC 8705 §2: the certificate of the connection (never a header, case 28) must be valid
    /// now and fit for client authentication (case 26), then
    /// - `tls_client_auth` (§2.1): verified by the handshake against a configured client CA —
    ///   never a self-signed one, whatever its subject —, through the client's pinned CA when it
    ///   has one (§7.4, case 22), and matching its registered subject DN or SAN (case 23);
    /// - `self_signed_tls_client_auth` (§2.2): one of the certificates it registered, compared
    ///   by SHA-256 of the DER (case 25).
    private func authenticateByCertificate(_ entry: ClientIndex.Entry, _ certificate: PresentedCertificate?,
                                           now: Date) throws(OAuthFailure) -> AuthenticatedClient {
        guard entry.client.status == .active else { throw OAuthFailure(.invalidClient, "client authentication failed") }
        // case 21: no certificate, no client.
        guard let certificate else {
            throw OAuthFailure(.invalidClient, "client authentication failed: \(entry.client.authMethod.rawValue) needs a TLS client certificate on the connection")
        }
        if let why = certificate.refusal(at: now) { throw OAuthFailure(.invalidClient, "client authentication failed: \(why)") }
        if entry.client.authMethod == .selfSignedTLSClientAuth {
            guard entry.certificateThumbprints.contains(certificate.thumbprint) else {
                throw OAuthFailure(.invalidClient, "client authentication failed: the client certificate is not one this client registered")
            }
            return AuthenticatedClient(entry: entry, assertion: nil)
        }
        guard let rule = entry.tlsRule, case .caIssued(let cas) = certificate.trust else {
            throw OAuthFailure(.invalidClient, "client authentication failed: tls_client_auth needs a certificate issued by a configured client CA")
        }
        if let pin = entry.client.tlsCAThumbprint, !cas.contains(pin) {
            throw OAuthFailure(.invalidClient, "client authentication failed: the client certificate was not issued through this client's CA")
        }
        guard rule.matches(certificate) else {
            throw OAuthFailure(.invalidClient, "client authentication failed: the client certificate does not match the registered subject")
        }
        return AuthenticatedClient(entry: entry, assertion: nil)
    }

    private func requirements(endpoint: String) -> AssertionRequirements {
        var r = AssertionRequirements(audiences: settings.assertionAudiences(endpoint: endpoint))
        r.clockSkew = settings.clockSkew
        return r
    }
}
