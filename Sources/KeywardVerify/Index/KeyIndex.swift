import Foundation
import KeywardCore
import KeywardStore
import Synchronization

/// The in-memory index verify reads: SHA-256 digest → version entry, key id → key state.
/// Kept current by the store's change feed. Compact on purpose (ids as `UInt128`, scope sets
/// interned) so a million keys stay well under 512 MiB.
package final class KeyIndex: Sendable {
    struct VersionEntry {
        var keyID: UInt128
        var version: UInt32
        /// Unix ms; `Int64.max` for a non-expiring key.
        var expiresAt: Int64
        /// Unix ms after which this (superseded) version answers `rotated`; `Int64.max` if current.
        var graceUntil: Int64
    }

    struct KeyState {
        var identity: UInt128
        var scopeSet: Int32
        var currentVersion: UInt32
        var revoked: Bool
        var quarantined: Bool
        var environment: KeyEnvironment
        var rateLimit: RateLimit?
        /// The state's `updatedAt` (ms): of two states of one version, the older never undoes the newer.
        var updatedAt: Int64
    }

    struct Tables {
        /// Identities with a rate limit of their own (few; the rest follow the policy).
        var identityLimits: [UInt128: RateLimit] = [:]
        var byDigest: [SecretDigest: VersionEntry] = [:]
        var keys: [UInt128: KeyState] = [:]
        var scopeSets: [[Scope]] = []
        var scopeSetIDs: [[Scope]: Int32] = [:]

        mutating func intern(_ scopes: [Scope]) -> Int32 {
            let sorted = scopes.sorted()
            if let id = scopeSetIDs[sorted] { return id }
            let id = Int32(scopeSets.count)
            scopeSets.append(sorted)
            scopeSetIDs[sorted] = id
            return id
        }
    }

    /// What a lookup found, copied out of the lock.
    package struct Hit: Sendable {
        package var keyID: KeyID
        package var version: Int
        package var identityID: IdentityID
        package var scopes: [Scope]
        package var expiresAt: Date?
        package var graceUntil: Date?
        package var isCurrent: Bool
        package var revoked: Bool
        package var quarantined: Bool
        package var environment: KeyEnvironment
        /// The key's and its identity's own limits (nil: the policy's).
        package var keyLimit: RateLimit?
        package var identityLimit: RateLimit?
    }

    private let tables = Mutex(Tables())
    private let lookupCount = Atomic<Int>(0)

    /// Index lookups so far (case 54 of docs/security-cases.md: a malformed key must not reach the index).
    package var lookups: Int { lookupCount.load(ordering: .relaxed) }

    package init() {}

    /// Applies a key's full state (insert, rotate, revoke).
    package func apply(_ key: APIKey) {
        tables.withLock { t in Self.apply(key, to: &t) }
    }

    package func apply(_ keys: [APIKey]) {
        tables.withLock { t in for k in keys { Self.apply(k, to: &t) } }
    }

    private static func apply(_ key: APIKey, to t: inout Tables) {
        var revoked = key.status == .revoked, quarantined = key.status == .quarantined
        if let old = t.keys[key.id.raw] {
            // States can arrive out of order: a full reload (after a lost change feed, case 52)
            // reads pages while this node's own writes publish newer states. A key only moves
            // forward — its version grows, revocation is final, and of two states of one version
            // the later written wins (quarantine is lifted by a rotation, or by an admin's release written later) —
            // so an older state never undoes a newer one.
            if UInt32(key.currentVersion) < old.currentVersion { return }
            if UInt32(key.currentVersion) == old.currentVersion {
                if key.updatedAt.unixMillis < old.updatedAt { return }
                // Written in the same millisecond: which came first is unknown, so the safer state holds.
                if key.updatedAt.unixMillis == old.updatedAt { quarantined = quarantined || old.quarantined }
            }
            revoked = revoked || old.revoked
        }
        let sid = t.intern(key.scopes)
        t.keys[key.id.raw] = KeyState(
            identity: key.identityID.raw, scopeSet: sid, currentVersion: UInt32(key.currentVersion),
            revoked: revoked, quarantined: quarantined && !revoked, environment: key.environment, rateLimit: key.rateLimit,
            updatedAt: key.updatedAt.unixMillis
        )
        for v in key.versions {
            t.byDigest[v.digest] = VersionEntry(
                keyID: key.id.raw, version: UInt32(v.version),
                expiresAt: v.expiresAt?.unixMillis ?? Int64.max,
                graceUntil: v.version == key.currentVersion ? Int64.max : (v.graceUntil?.unixMillis ?? Int64.min)
            )
        }
    }

    /// Applies an identity's own rate limit (set, changed or removed).
    package func apply(_ identity: Identity) {
        tables.withLock { $0.identityLimits[identity.id.raw] = identity.rateLimit }
    }

    /// An identity's own limit, for access tokens (their identity is not in a key entry).
    package func identityLimit(_ id: IdentityID) -> RateLimit? {
        tables.withLock { $0.identityLimits[id.raw] }
    }

    /// Subscribes to the store's change feed and loads every key and every identity's own limit.
    package func attach(to store: Store) async throws {
        store.feed.subscribe { [weak self] change in
            switch change {
            case .key(let k): self?.apply(k)
            case .identity(let i): self?.apply(i)
            default: break
            }
        }
        try await store.forEachKey { page in self.apply(page) }
        let limits = try await store.identityRateLimits()
        tables.withLock { t in for (id, l) in limits where t.identityLimits[id.raw] == nil { t.identityLimits[id.raw] = l } }
    }

    package func lookup(_ digest: SecretDigest) -> Hit? {
        lookupCount.add(1, ordering: .relaxed)
        return tables.withLock { t -> Hit? in
            guard let e = t.byDigest[digest], let k = t.keys[e.keyID] else { return nil }
            return Hit(
                keyID: KeyID(raw: e.keyID), version: Int(e.version), identityID: IdentityID(raw: k.identity),
                scopes: t.scopeSets[Int(k.scopeSet)],
                expiresAt: e.expiresAt == Int64.max ? nil : Date(unixMillis: e.expiresAt),
                graceUntil: e.graceUntil == Int64.max ? nil : Date(unixMillis: e.graceUntil),
                isCurrent: e.version == k.currentVersion, revoked: k.revoked, quarantined: k.quarantined, environment: k.environment,
                keyLimit: k.rateLimit, identityLimit: t.identityLimits.isEmpty ? nil : t.identityLimits[k.identity]
            )
        }
    }

    package struct Counts: Sendable {
        package var keys: Int
        package var revoked: Int
        package var versions: Int
    }

    package func counts() -> Counts {
        tables.withLock { t in
            Counts(keys: t.keys.count, revoked: t.keys.values.reduce(0) { $0 + ($1.revoked ? 1 : 0) }, versions: t.byDigest.count)
        }
    }
}
