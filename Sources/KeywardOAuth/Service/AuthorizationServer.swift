import Foundation
import KeywardCore
import KeywardStore
import Logging
import Synchronization

/// A token request as the HTTP layer read it: the form, whether it also carried HTTP Basic
/// credentials, and every `DPoP` header value (two is an error the proof check reports).
package struct TokenRequest: Sendable {
    package var form: FormBody
    package var hasBasicAuth: Bool
    package var dpopHeaders: [String]
    /// The TLS client certificate of the connection (mutual TLS), never one from a header.
    package var clientCertificate: PresentedCertificate?
    /// The client assertion as the HTTP layer already inspected it (to name a failure bucket), with its
    /// text: used instead of parsing the same text again.
    package var inspected: InspectedAssertion?
    package init(form: FormBody, hasBasicAuth: Bool, dpopHeaders: [String], clientCertificate: PresentedCertificate? = nil,
                 inspected: InspectedAssertion? = nil) {
        self.inspected = inspected
        self.form = form
        self.hasBasicAuth = hasBasicAuth
        self.dpopHeaders = dpopHeaders
        self.clientCertificate = clientCertificate
    }
}

/// A client assertion's text and what `ClientAssertion.inspect` read from it.
package struct InspectedAssertion: Sendable {
    package var text: String
    package var assertion: UnverifiedAssertion
    package init(text: String, assertion: UnverifiedAssertion) {
        self.text = text
        self.assertion = assertion
    }
}

package struct IssuedToken: Sendable {
    package var token: String
    /// `DPoP` or `Bearer` (RFC 9449 §5).
    package var tokenType: String
    package var expiresIn: Int
    package var scope: String
    package var record: AccessTokenRecord
}

/// The token endpoint, introspection and revocation, without HTTP types. Clients authenticate
/// with `private_key_jwt` (RFC 7523); tokens are RFC 9068 JWTs signed by `SigningKeyRing`,
/// recorded as derived credentials of their client (`oauth_tokens`), and die with it.
package final class AuthorizationServer: Sendable {
    private let currentSettings: Mutex<OAuthSettings>
    /// The settings now (the issuer may be set once the server knows the port it listens on).
    package var settings: OAuthSettings { currentSettings.withLock { $0 } }
    package let store: Store
    package let clients: ClientIndex
    package let signingKeys: SigningKeyRing
    package let nonces: DPoPNonces
    let fingerprints: FingerprintKey
    let logger: Logger
    /// Writes issued tokens and their `jti`s in group commits.
    let batcher: IssuanceBatcher
    /// Fetches `jwks_uri` clients' keys (nil: such clients cannot authenticate).
    let remoteJWKS: RemoteJWKS?
    /// When expired replay entries and token rows were last deleted.
    private let lastPrune = Mutex(ContinuousClock.now)

    static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    package init(settings: OAuthSettings, store: Store, clients: ClientIndex, signingKeys: SigningKeyRing, fingerprints: FingerprintKey, logger: Logger,
                remoteJWKS: RemoteJWKS? = nil) {
        self.remoteJWKS = remoteJWKS
        self.currentSettings = Mutex(settings)
        self.store = store
        self.clients = clients
        self.signingKeys = signingKeys
        self.nonces = DPoPNonces(key: fingerprints)
        self.batcher = IssuanceBatcher(store: store)
        self.fingerprints = fingerprints
        self.logger = logger
    }

    var now: Date { store.clock.now() }

    /// Sets the issuer identifier when it was not configured: `serve` learns its port (0 picks
    /// one) only once it listens, before it answers any request.
    package func useIssuer(_ issuer: String) {
        currentSettings.withLock { s in
            let old = s
            s = OAuthSettings(issuer: issuer, defaultTokenLifetime: old.defaultTokenLifetime, maxTokenLifetime: old.maxTokenLifetime,
                              clockSkew: old.clockSkew, requireDPoPNonce: old.requireDPoPNonce,
                              defaultAudience: old.defaultAudience == old.issuer ? nil : old.defaultAudience, mutualTLS: old.mutualTLS)
            s.clientCAThumbprints = old.clientCAThumbprints
            s.selfSignedClientCertificates = old.selfSignedClientCertificates
        }
    }

    /// Takes the mutual-TLS set-up (`--client-ca`, `--self-signed-client-certs`) into the settings
    /// (metadata, registration checks), and warns once when `--client-ca` holds more than one CA
    /// and `tls_client_auth` clients have no CA pin: a certificate with their subject from any of
    /// those CAs authenticates them (RFC 8705 §7.4).
    package func useClientCertificates(_ trust: ClientCertificateTrust?) {
        currentSettings.withLock { s in
            s.clientCAThumbprints = trust?.caThumbprints ?? []
            s.selfSignedClientCertificates = trust?.acceptsSelfSigned ?? false
        }
        guard let trust, trust.caThumbprints.count > 1 else { return }
        let unpinned = clients.activeCertificateClientsWithoutCAPin()
        if unpinned > 0 {
            logger.warning("tls_client_auth clients without a CA pin while --client-ca holds several CAs: any of them can issue their subject",
                           metadata: ["clients": "\(unpinned)", "client_cas": "\(trust.caThumbprints.count)",
                                      "fix": "register them again with tls_client_auth_ca_thumbprint"])
        }
    }

    /// `grant_type=client_credentials` (or a workload's `jwt-bearer` grant): authenticates the client, checks scope and binding,
    /// records the assertion's and the proof's `jti`s and the token in one transaction, and
    /// returns the signed token. Every refusal is an `OAuthFailure`.
    package func token(_ r: TokenRequest) async throws(OAuthFailure) -> IssuedToken {
        let grant = try field(r.form, "grant_type")
        guard let grant else { throw OAuthFailure(.invalidRequest, "grant_type is required") }
        let now = self.now
        let client: AuthenticatedClient
        switch grant {
        case "client_credentials":
            client = try await authenticate(r.form, hasBasicAuth: r.hasBasicAuth, certificate: r.clientCertificate, endpoint: settings.tokenEndpoint,
                                            now: now, inspected: r.inspected)
        case Self.jwtBearerGrant:
            client = try await authenticateGrant(r.form, hasBasicAuth: r.hasBasicAuth, now: now)
        default:
            throw OAuthFailure(.unsupportedGrantType, "supported grants: client_credentials and urn:ietf:params:oauth:grant-type:jwt-bearer")
        }
        let scopes = try grantedScopes(try field(r.form, "scope"), client: client.entry.client)
        if try field(r.form, "resource") != nil || r.form.names.contains("refresh_token") {
            throw OAuthFailure(.invalidRequest, "resource indicators and refresh tokens are not supported")
        }
        let certificate = try boundCertificate(r, client: client.entry.client, now: now)
        let proof = try dpopProof(r.dpopHeaders, client: client.entry.client, now: now)
        let lifetime = Int(OAuthSettings.seconds(settings.defaultTokenLifetime))
        guard let key = signingKeys.current else { throw OAuthFailure(.temporarilyUnavailable, "no signing key is loaded; retry") }
        let tokenID = AccessTokenID.ordered(at: now)
        let binding: TokenConfirmation? = certificate.map { .x5tS256($0.thumbprint) } ?? proof.map { .jkt($0.jkt) }
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(issuer: settings.issuer, subject: client.entry.client.id.description, clientID: client.entry.client.id.description,
                                       audience: settings.defaultAudience, scope: scopes.map(\.value), issuedAt: issuedAt,
                                       expiresAt: issuedAt.addingTimeInterval(TimeInterval(lifetime)), jti: tokenID.description, confirmation: binding)
        let text = AccessToken.mint(claims, key: key)
        let record = AccessTokenRecord(id: tokenID, clientID: client.entry.client.id, identityID: client.entry.client.identityID, scopes: scopes,
                                       digest: SecretDigest(hashing: text.utf8),
                                       binding: certificate.map { "x5t#S256:" + $0.thumbprint } ?? proof.map { "jkt:" + $0.jkt },
                                       issuedAt: issuedAt, expiresAt: claims.expiresAt)
        let skew = OAuthSettings.seconds(settings.clockSkew)
        let outcome: IssuanceBatcher.Outcome
        do {
            outcome = try await batcher.record(IssuanceBatcher.Item(
                assertion: client.replay.map { ($0.scope, $0.jti, $0.until) },
                proof: proof.map { ("dpop:" + $0.jkt, $0.jti, $0.issuedAt.addingTimeInterval(2 * skew)) }, token: record))
        } catch {
            throw Self.unavailable(error)
        }
        switch outcome {
        case .recorded: break
        case .assertionReplayed:
            // RFC 7523 §3.1: a used grant assertion is invalid_grant; a used client assertion invalid_client.
            let f = grant == Self.jwtBearerGrant ? OAuthFailure(.invalidGrant, "the workload token was already exchanged (single-use trust)")
                : OAuthFailure(.invalidClient, "the client assertion was already used (jti replay)")
            await auditFailure(f, clientID: client.entry.client.id.description, assertion: nil)
            throw f
        case .proofReplayed:
            throw OAuthFailure(.invalidDPoPProof, "the DPoP proof was already used (jti replay)")
        }
        pruneIfDue()
        return IssuedToken(token: text, tokenType: proof == nil ? "Bearer" : "DPoP", expiresIn: lifetime,
                           scope: scopes.map(\.value).joined(separator: " "), record: record)
    }

    /// At most once a minute, off the request: deletes expired replay entries and old token rows,
    /// and forgets revocations of tokens that have expired anyway.
    func pruneIfDue() {
        let due = lastPrune.withLock { last -> Bool in
            guard ContinuousClock.now - last >= .seconds(60) else { return false }
            last = .now
            return true
        }
        guard due else { return }
        Task {
            let now = self.now
            self.clients.prune(now: now)
            do { try await self.store.pruneOAuth(now: now) } catch { self.logger.warning("could not prune expired OAuth replay entries") }
        }
    }

    /// A single-valued form parameter: RFC 6749 §3.2 forbids repeating one.
    func field(_ form: FormBody, _ name: String) throws(OAuthFailure) -> String? {
        do { return try form.value(name) } catch { throw OAuthFailure(.invalidRequest, "\(name) appears more than once") }
    }

    /// The scopes to grant: what was asked, each within the client's allowance (never widened,
    /// case 39), or all of the client's when none was asked.
    func grantedScopes(_ requested: String?, client: OAuthClient) throws(OAuthFailure) -> [Scope] {
        guard let requested else { return client.scopes }
        var out: [Scope] = []
        for part in requested.split(separator: " ", omittingEmptySubsequences: true) {
            guard let s = Scope(String(part)), client.scopes.contains(s) else {
                throw OAuthFailure(.invalidScope, "a requested scope is not granted to this client")
            }
            if !out.contains(s) { out.append(s) }
        }
        return out.isEmpty ? client.scopes : out
    }

    /// The certificate a client's tokens are bound to (RFC 8705 §3), or nil when its tokens are
    /// not certificate-bound. Such a client must connect with a valid client certificate and
    /// send no DPoP proof: a token carries one binding.
    func boundCertificate(_ r: TokenRequest, client: OAuthClient, now: Date) throws(OAuthFailure) -> PresentedCertificate? {
        guard client.certificateBoundTokens else { return nil }
        guard let certificate = r.clientCertificate else {
            throw OAuthFailure(.invalidRequest, "this client's tokens are certificate-bound: connect with its TLS client certificate")
        }
        if let why = certificate.refusal(at: now) { throw OAuthFailure(.invalidRequest, why) }
        guard r.dpopHeaders.isEmpty else {
            throw OAuthFailure(.invalidRequest, "this client's tokens are certificate-bound: send no DPoP proof")
        }
        return certificate
    }

    /// The DPoP proof at the token endpoint (RFC 9449 §4.3, §5.2, §8), or nil when none was sent
    /// and the client's tokens need not be bound.
    func dpopProof(_ headers: [String], client: OAuthClient, now: Date) throws(OAuthFailure) -> ValidatedDPoPProof? {
        if headers.isEmpty {
            // case 37: a client registered for DPoP-bound tokens gets none without a proof.
            if client.dpopBoundTokens { throw OAuthFailure(.invalidDPoPProof, "this client's tokens are DPoP-bound: send a DPoP proof") }
            return nil
        }
        let proof: ValidatedDPoPProof
        do {
            proof = try DPoPProof.validate(headerValues: headers, method: "POST", expectedURI: settings.tokenEndpoint, accessToken: nil,
                                           now: now, clockSkew: settings.clockSkew)
        } catch {
            throw OAuthFailure(.invalidDPoPProof, "the DPoP proof is not valid: \(error.reason)")
        }
        if settings.requireDPoPNonce, !(proof.nonce.map { nonces.isValid($0, now: now) } ?? false) {
            throw OAuthFailure(.useDPoPNonce, "send the DPoP-Nonce this response carries in the proof's nonce claim", dpopNonce: nonces.current(now: now))
        }
        return proof
    }

    /// A store failure: 503 with `Retry-After`, never a false success (case 49).
    static func unavailable(_ error: any Error) -> OAuthFailure {
        if let f = error as? OAuthFailure { return f }
        return OAuthFailure(.temporarilyUnavailable, "the store is unavailable; retry", status: 503)
    }

    /// Records a failed client authentication: the client id when known and the assertion's HMAC
    /// fingerprint, never the assertion (case 1).
    func auditFailure(_ f: OAuthFailure, clientID: String?, assertion: String?) async {
        var details = ["reason": String(f.description.prefix(200))]
        if let assertion { details["assertion_fingerprint"] = fingerprints.fingerprint(value: assertion).description }
        let target = clientID.flatMap { OAuthClientID($0)?.description } ?? "unknown"
        do {
            try await store.write { tx in
                tx.audit(AuditEntry(actor: target, action: .clientAuthFailed, target: target, details: details))
            }
        } catch {
            logger.warning("could not audit a failed client authentication")
        }
    }
}
