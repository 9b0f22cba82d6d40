import Crypto
import Foundation
import KeywardCore
import KeywardStore
import Synchronization

/// The authorization server's ES256 token-signing keys, from the store (private keys sealed,
/// each bound to its kid). One signs; retired ones stay published in the JWKS and accepted by
/// verify until the last token they signed has expired. Every node reads the same rows, and
/// reloads them when the change feed says they changed (or meets a kid it does not know).
package final class SigningKeyRing: Sendable {
    // Unchecked: swift-crypto's Linux P-256 key wraps a BoringSSL object without declaring Sendable; verifying does not mutate it.
    private struct Published: @unchecked Sendable {
        let key: P256.Signing.PublicKey
        let jwk: PublicJWK
        let until: Date?
    }

    private struct Keys: Sendable {
        var current: TokenSigningKey?
        var published: [String: Published] = [:]
        var order: [String] = []
    }

    private let store: Store
    private let fingerprints: FingerprintKey
    private let keys = Mutex(Keys())
    private let lastReload = Mutex(ContinuousClock.now - .seconds(10))
    static let purpose = "oauth-signing-key"

    package init(store: Store, fingerprints: FingerprintKey) {
        self.store = store
        self.fingerprints = fingerprints
    }

    /// Loads the keys, creating the first one on a store that has none; follows the change feed.
    package func attach() async throws {
        store.feed.subscribe { [weak self] change in
            guard case .signingKeys = change, let self else { return }
            Task { try? await self.reload() }
        }
        if try await store.signingKeys().allSatisfy({ $0.retiredAt != nil }) {
            try await store.write { tx in
                // Another node may have created it meanwhile: check again inside the transaction.
                guard try await self.store.signingKeys(in: tx.db).allSatisfy({ $0.retiredAt != nil }) else { return }
                // Part of a store's first start, like its admin key's bootstrap record; rotations are audited.
                try await self.store.insertSigningKey(try self.newKey(now: tx.now), in: tx)
            }
        }
        try await reload()
    }

    private func newKey(now: Date) throws -> SigningKeyRecord {
        let kid = AccessTokenID.random().description.replacingOccurrences(of: "atk_", with: "sk_")
        let key = P256.Signing.PrivateKey()
        let sealed = try fingerprints.seal(key.rawRepresentation.base64EncodedString(), purpose: Self.purpose, owner: kid)
        return SigningKeyRecord(kid: kid, sealedPrivateKey: sealed, createdAt: now)
    }

    /// Reads the keys again from the store.
    package func reload() async throws {
        let rows = try await store.signingKeys()
        var next = Keys()
        let now = store.clock.now()
        for row in rows {
            if let until = row.publishUntil, until <= now { continue }
            guard let raw = try? fingerprints.open(row.sealedPrivateKey, purpose: Self.purpose, owner: row.kid) else {
                throw KeywardError(.validation, "the token-signing key \(row.kid) cannot be opened with this node's HMAC key: every node of a cluster needs the same HMAC key file (--hmac-key-file)")
            }
            guard let data = Data(base64Encoded: raw), let priv = try? P256.Signing.PrivateKey(rawRepresentation: data) else {
                throw KeywardError(.internalError, "a token-signing key cannot be read")
            }
            let signing = TokenSigningKey(kid: row.kid, privateKey: priv)
            if row.retiredAt == nil { next.current = signing }
            next.published[row.kid] = Published(key: priv.publicKey, jwk: signing.publicJWK, until: row.publishUntil)
            next.order.append(row.kid)
        }
        keys.withLock { $0 = next }
        lastReload.withLock { $0 = .now }
    }

    /// The key that signs new tokens.
    package var current: TokenSigningKey? { keys.withLock { $0.current } }

    /// The public key for a kid, if it is published (and not past its publication).
    package func publicKey(_ kid: String, now: Date) -> P256.Signing.PublicKey? {
        let e = keys.withLock { k -> Published? in k.published[kid] }
        guard let e else { return nil }
        if let until = e.until, until <= now { return nil }
        return e.key
    }

    /// The JWKS: every published key, newest last.
    package func publishedJWKs(now: Date) -> [PublicJWK] {
        keys.withLock { k in
            k.order.compactMap { kid in
                guard let e = k.published[kid] else { return nil }
                if let until = e.until, until <= now { return nil }
                return e.jwk
            }
        }
    }

    /// A verify met a kid it does not know: reload at most once a second (another node may have rotated).
    package func reloadForUnknownKid() async {
        let due = lastReload.withLock { last -> Bool in
            guard ContinuousClock.now - last >= .seconds(1) else { return false }
            last = .now
            return true
        }
        if due { try? await reload() }
    }

    /// Starts signing with a new key; the old one stays published until every token it signed
    /// has expired (`maxTokenLifetime` from now). Returns the new kid.
    package func rotate(maxTokenLifetime: Duration, actor: String) async throws -> String {
        let kid = try await store.write { tx in
            let fresh = try self.newKey(now: tx.now)
            for row in try await self.store.signingKeys(in: tx.db) where row.retiredAt == nil {
                try await self.store.retireSigningKey(row.kid, publishUntil: tx.now.addingTimeInterval(OAuthSettings.seconds(maxTokenLifetime)), in: tx)
            }
            try await self.store.insertSigningKey(fresh, in: tx)
            tx.audit(AuditEntry(actor: actor, action: .signingKeyRotated, target: "oauth", details: ["kid": fresh.kid]))
            return fresh.kid
        }
        try await reload()
        return kid
    }
}
