import Synchronization

/// The public keys of recent DPoP proofs, by their protected header's base64url text. A client
/// signs every proof with the same key, so every proof it sends has the same header; turning that
/// header's `jwk` into a key (point import, RFC 7638 thumbprint) is then done once, not per proof.
/// The key is a pure function of the header text, so a hit gives exactly what parsing would;
/// the signature is still checked on every proof. Bounded: emptied when it reaches `limit`.
package final class DPoPKeyCache: Sendable {
    private let keys = Mutex([String: PublicJWK]())
    static let limit = 4_096

    package init() {}

    func key(header: String) -> PublicJWK? { keys.withLock { $0[header] } }

    func store(_ key: PublicJWK, header: String) {
        keys.withLock { k in
            if k.count >= Self.limit { k.removeAll(keepingCapacity: true) }
            k[header] = key
        }
    }
}
