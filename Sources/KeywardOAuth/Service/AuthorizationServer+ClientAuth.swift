import Foundation
import KeywardCore

/// A client that proved who it is, and what must be remembered so the proof is used once: the
/// assertion's replay-cache entry (nil for `tls_client_auth`, where the TLS handshake was the
/// proof, and for a workload trust that allows reuse).
struct AuthenticatedClient: Sendable {
    var entry: ClientIndex.Entry
    var replay: ReplayEntry?
}

/// A replay-cache entry: `jti` is remembered under `scope` until `until`.
struct ReplayEntry: Sendable {
    var scope: String
    var jti: String
    var until: Date
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
            let unverified: UnverifiedAssertion
            do { unverified = try ClientAssertion.inspect(assertion, formClientID: formClientID) } catch {
                // Not a private_key_jwt assertion (a workload's iss is its platform, not a client id).
                guard isWorkloadAssertion(assertion, formClientID: formClientID) else { throw error }
                return try workloadClient(assertion, formClientID: formClientID, now: now, failure: .invalidClient)
            }
            auditID = unverified.clientID
            guard let id = OAuthClientID(unverified.clientID), let entry = clients.client(id), entry.client.status == .active,
                  entry.client.authMethod == .privateKeyJWT else {
                throw OAuthFailure(.invalidClient, "client authentication failed")
            }
            do {
                let validated = try ClientAssertion.verify(unverified, keys: entry.keys,
                                                           requirements: requirements(endpoint: endpoint), now: now)
                let skew = OAuthSettings.seconds(settings.clockSkew)
                return AuthenticatedClient(entry: entry, replay: ReplayEntry(scope: "assertion:" + id.description, jti: validated.jti,
                                                                            until: validated.expiresAt.addingTimeInterval(skew)))
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
        return AuthenticatedClient(entry: entry, replay: nil)
    }

    private func requirements(endpoint: String) -> AssertionRequirements {
        var r = AssertionRequirements(audiences: settings.assertionAudiences(endpoint: endpoint))
        r.clockSkew = settings.clockSkew
        return r
    }
}
