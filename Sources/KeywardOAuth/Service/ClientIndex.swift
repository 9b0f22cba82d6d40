import Foundation
import KeywardCore
import KeywardStore
import Synchronization

/// What the token endpoint and verify need to know of clients and tokens, in memory and fed by
/// the store's change feed (in-process, and from other nodes through the cluster feed), so a
/// revoked client or token is refused by the very next request on every node without SQL.
package final class ClientIndex: Sendable {
    package struct Entry: Sendable {
        package var client: OAuthClient
        /// The registered public keys, parsed once.
        package var keys: [PublicJWK]
        /// How a `tls_client_auth` client's certificate is recognised, parsed once.
        package var tlsRule: TLSClientAuthRule?
        /// A `workload_federation` client's trust, with the issuer's keys parsed once.
        package var trust: WorkloadTrust?
        /// A `self_signed_tls_client_auth` client's registered certificates, by RFC 8705 §3.1 thumbprint.
        package var certificateThumbprints: Set<String> = []
    }

    private struct Tables: Sendable {
        var clients: [OAuthClientID: Entry] = [:]
        /// Tokens revoked before they expired, with their expiry (pruned as they pass it).
        var revokedTokens: [AccessTokenID: Date] = [:]
        /// Federated clients by the issuer they trust.
        var byIssuer: [String: Set<OAuthClientID>] = [:]
    }

    private let tables = Mutex(Tables())

    package init() {}

    /// Loads every client and every revoked live token, and follows the feed from then on.
    package func attach(to store: Store) async throws {
        store.feed.subscribe { [weak self] change in
            switch change {
            case .client(let c): self?.apply(c)
            case .token(let t): self?.apply(t)
            default: break
            }
        }
        try await store.forEachClient { page in for c in page { self.apply(c) } }
        for t in try await store.revokedLiveTokens() { apply(t) }
    }

    package func apply(_ c: OAuthClient) {
        let keys = c.publicKeys.compactMap { try? PublicJWK.parse(json: $0) }
        let rule = c.authMethod == .tlsClientAuth ? try? TLSClientAuthRule.parse(subjectDN: c.tlsSubjectDN, sanDNS: c.tlsSANDNS) : nil
        let trust = c.workloadTrust.map {
            WorkloadTrust(issuer: $0.issuer, keys: keys, subject: $0.subject, audience: $0.audience, claims: $0.claims)
        }
        let certificates = c.authMethod == .selfSignedTLSClientAuth ? SelfSignedClientCertificates.thumbprints(storedKeys: c.publicKeys) : []
        tables.withLock { t in
            t.clients[c.id] = Entry(client: c, keys: keys, tlsRule: rule, trust: trust, certificateThumbprints: certificates)
            if let trust { t.byIssuer[trust.issuer, default: []].insert(c.id) }
        }
    }

    /// The federated clients that trust `issuer`, active or not.
    package func trusting(issuer: String) -> [Entry] {
        tables.withLock { t in (t.byIssuer[issuer] ?? []).compactMap { t.clients[$0] } }
    }

    package func apply(_ t: AccessTokenRecord) {
        guard t.revokedAt != nil else { return }
        tables.withLock { $0.revokedTokens[t.id] = t.expiresAt }
    }

    package func client(_ id: OAuthClientID) -> Entry? {
        tables.withLock { $0.clients[id] }
    }

    /// How many active `tls_client_auth` clients have no CA pin (RFC 8705 §7.4).
    package func activeCertificateClientsWithoutCAPin() -> Int {
        tables.withLock { t in
            t.clients.values.filter { $0.client.status == .active && $0.client.authMethod == .tlsClientAuth && $0.client.tlsCAThumbprint == nil }.count
        }
    }

    /// Whether a token is dead by its own revocation or by its client's.
    package func isRevoked(token: AccessTokenID, client: OAuthClientID) -> Bool {
        tables.withLock { t in
            if t.revokedTokens[token] != nil { return true }
            guard let c = t.clients[client] else { return true }
            return c.client.status != .active
        }
    }

    /// Drops revocations of tokens that have expired anyway.
    package func prune(now: Date) {
        tables.withLock { t in t.revokedTokens = t.revokedTokens.filter { $0.value > now } }
    }
}
