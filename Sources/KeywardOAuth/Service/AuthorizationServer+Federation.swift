import Crypto
import Foundation
import KeywardCore

/// Workload federation: a client that holds no secret at all. Its workload presents the token its
/// own platform issued (a Kubernetes service-account token, a CI provider's OIDC token, a SPIFFE
/// JWT-SVID), either as an RFC 7523 §2.1 authorization grant or as a §2.2 client assertion, and
/// gets a short-lived token of its client when one of the client's trusts accepts it.
extension AuthorizationServer {
    static let jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    /// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`: the `assertion` is the proof, so no
    /// other client authentication may come with it (one method per request); `client_id` may name
    /// the client when several trust the same workload. Failures are `invalid_grant` (RFC 7523
    /// §3.1) and audited like a failed client authentication, with a fingerprint only.
    func authenticateGrant(_ form: FormBody, hasBasicAuth: Bool, now: Date) async throws(OAuthFailure) -> AuthenticatedClient {
        if hasBasicAuth || form.names.contains("client_assertion") || form.names.contains("client_secret") {
            throw OAuthFailure(.invalidRequest, "the jwt-bearer grant authenticates by its assertion; send no other client authentication")
        }
        guard let token = try field(form, "assertion") else { throw OAuthFailure(.invalidRequest, "assertion is required") }
        let formClientID = try field(form, "client_id")
        do {
            return try await workloadClient(token, formClientID: formClientID, now: now, failure: .invalidGrant)
        } catch {
            await auditFailure(error, clientID: formClientID, assertion: token)
            throw error
        }
    }

    /// Whether an assertion that is not a `private_key_jwt` one should be tried as a workload token:
    /// its client (by the form's `client_id`) is federated, or its issuer is trusted by a client.
    func isWorkloadAssertion(_ assertion: String, formClientID: String?) -> Bool {
        if let formClientID, let id = OAuthClientID(formClientID), let entry = clients.client(id) {
            return entry.client.authMethod == .workloadFederation
        }
        guard let issuer = try? WorkloadAssertion.inspect(assertion).issuer else { return false }
        return !clients.trusting(issuer: issuer).isEmpty
    }

    /// The active federated client whose trust accepts `token`. Trusts are looked up by the token's
    /// issuer and narrowed by its (unverified) `sub` before any signature is checked, so a token
    /// costs at most one verification per matching trust however many clients trust its issuer.
    /// Two clients trusting the same workload need the form's `client_id` to pick one.
    func workloadClient(_ token: String, formClientID: String?, now: Date, failure: OAuthFailure.Code) async throws(OAuthFailure) -> AuthenticatedClient {
        let inspected: (issuer: String, jws: CompactJWS)
        do { inspected = try WorkloadAssertion.inspect(token) } catch {
            throw OAuthFailure(failure, "the workload token is not valid: \(error.reason)")
        }
        let subject = inspected.jws.payload["sub"]?.stringValue
        let candidates = clients.trusting(issuer: inspected.issuer).filter { entry in
            entry.client.status == .active && entry.trust?.subject == subject
                && (formClientID == nil || entry.client.id.description == formClientID)
        }
        var accepted: [(ClientIndex.Entry, ValidatedWorkloadAssertion)] = []
        var reason = "no active client trusts this workload (issuer and subject)"
        for entry in candidates {
            guard var trust = entry.trust else { continue }
            if let uri = entry.client.workloadTrust?.jwksURI {
                // The issuer's current keys (cached; an unknown kid refetches at most twice a minute).
                guard let remoteJWKS else { reason = "this server fetches no jwks_uri"; continue }
                do {
                    let keys = try await remoteJWKS.keys(uri, kid: inspected.jws.header["kid"]?.stringValue)
                    trust = WorkloadTrust(issuer: trust.issuer, keys: keys, subject: trust.subject, audience: trust.audience, claims: trust.claims)
                    await rememberKeys(keys, of: entry.client)
                } catch {
                    reason = "the issuer's jwks_uri: \(error.reason)"
                    continue
                }
            }
            do {
                accepted.append((entry, try WorkloadAssertion.verify(inspected.jws, trust: trust, now: now, clockSkew: settings.clockSkew)))
            } catch {
                reason = "the workload token is not valid for its trust: \(error.reason)"
            }
        }
        guard let (entry, validated) = accepted.first else { throw OAuthFailure(failure, reason) }
        guard accepted.count == 1 else {
            throw OAuthFailure(.invalidRequest, "several clients trust this workload: name one with client_id")
        }
        return AuthenticatedClient(entry: entry, replay: replayEntry(validated, token: token, singleUse: entry.client.workloadTrust?.singleUse ?? true))
    }

    /// A single-use trust remembers each workload token until it expires: by its `jti`, or by the
    /// SHA-256 of its text when the platform sets none. Scoped by issuer, so one token cannot be
    /// exchanged twice through two clients that trust the same workload.
    private func replayEntry(_ v: ValidatedWorkloadAssertion, token: String, singleUse: Bool) -> ReplayEntry? {
        guard singleUse else { return nil }
        let jti = v.jti.map { "jti:" + $0 } ?? "sha256:" + SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
        return ReplayEntry(scope: "workload:" + v.issuer, jti: jti, until: v.expiresAt.addingTimeInterval(OAuthSettings.seconds(settings.clockSkew)))
    }
}
