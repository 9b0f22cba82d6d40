import Foundation
import KeywardCore
import KeywardStore
import Logging

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
                      now: Date, inspected: InspectedAssertion? = nil) async throws(OAuthFailure) -> AuthenticatedClient {
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
            let unverified: UnverifiedAssertion
            do {
                if let inspected, inspected.text == assertion {
                    unverified = try ClientAssertion.matching(inspected.assertion, formClientID: formClientID)
                } else {
                    unverified = try ClientAssertion.inspect(assertion, formClientID: formClientID)
                }
            } catch {
                // Not a private_key_jwt assertion (a workload's iss is its platform, not a client id).
                guard isWorkloadAssertion(assertion, formClientID: formClientID) else { throw error }
                return try await workloadClient(assertion, formClientID: formClientID, now: now, failure: .invalidClient)
            }
            auditID = unverified.clientID
            guard let id = OAuthClientID(unverified.clientID), let entry = clients.client(id), entry.client.status == .active else {
                throw OAuthFailure(.invalidClient, "client authentication failed")
            }
            // RFC 7591 §2: the registered method only. A self-signed client's keys sign no assertion, and a
            // federated client's keys are its platform's, not its own.
            switch entry.client.authMethod {
            case .privateKeyJWT: break
            case .selfSignedTLSClientAuth, .tlsClientAuth:
                throw OAuthFailure(.invalidClient, "client authentication failed: this client authenticates with its TLS certificate")
            case .workloadFederation:
                throw OAuthFailure(.invalidClient, "client authentication failed: this client authenticates with its workload's token")
            }
            let keys = try await registeredKeys(entry, kid: unverified.jws.header["kid"]?.stringValue)
            do {
                let validated = try ClientAssertion.verify(unverified, keys: keys,
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
            return AuthenticatedClient(entry: entry, replay: nil)
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
        return AuthenticatedClient(entry: entry, replay: nil)
    }

    /// The keys an assertion may be signed with: the registered set, or for a `jwks_uri` client
    /// the set published there (`RemoteJWKS`: cached, fetched again for an unknown kid at most
    /// once per 30 s). A fetch that fails is a failed authentication (case 20), never a 5xx.
    private func registeredKeys(_ entry: ClientIndex.Entry, kid: String?) async throws(OAuthFailure) -> [PublicJWK] {
        guard let uri = entry.client.jwksURI else { return entry.keys }
        guard let remoteJWKS else { throw OAuthFailure(.invalidClient, "client authentication failed: this server fetches no jwks_uri") }
        do {
            let keys = try await remoteJWKS.keys(uri, kid: kid)
            await rememberKeys(keys, of: entry.client)
            return keys
        } catch {
            throw OAuthFailure(.invalidClient, "client authentication failed: the client's jwks_uri: \(error.reason)")
        }
    }

    /// Records keys first seen at a `jwks_uri` (a rotation) among the client's registered keys, before
    /// the request that brought them is answered, so a leaked private half of a rotated-in key is
    /// matched to its client like one registered inline. Keys dropped from the set stay recorded: a
    /// retired key that leaks still says the client's key storage leaked. A failed write is logged
    /// and does not fail the authentication.
    func rememberKeys(_ keys: [PublicJWK], of client: OAuthClient) async {
        let new = keys.filter { !client.keyThumbprints.contains($0.thumbprint) }
        guard !new.isEmpty else { return }
        do {
            try await store.write { tx in
                guard try await self.store.addClientKeys(client.id, keys: new.map { ($0.publicJSON, $0.thumbprint) }, in: tx) != nil else { return }
                tx.audit(AuditEntry(actor: "jwks_uri", action: .clientKeysAdded, target: client.id.description,
                                    details: ["key_thumbprints": new.map(\.thumbprint).joined(separator: " "),
                                              "jwks_uri": client.jwksURI ?? client.workloadTrust?.jwksURI ?? ""]))
            }
        } catch {
            logger.warning("could not record a client's new jwks_uri keys", metadata: ["client_id": "\(client.id)"])
        }
    }

    private func requirements(endpoint: String) -> AssertionRequirements {
        var r = AssertionRequirements(audiences: settings.assertionAudiences(endpoint: endpoint))
        r.clockSkew = settings.clockSkew
        return r
    }
}
