import Foundation
import KeywardCore
import Logging
import Synchronization

/// A fetch of a `jwks_uri` that failed, and why (no URL query, no body: safe to audit and to answer).
package struct JWKSFetchError: Error, Sendable, CustomStringConvertible {
    package let reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}

/// How `RemoteJWKS` fetches and caches, with documented defaults.
package struct RemoteJWKSSettings: Sendable {
    /// `serve --jwks-allow`: the hosts a `jwks_uri` may name. Default empty: `jwks_uri` refused.
    package var allowList = JWKSAllowList()
    /// Whole fetch, from name resolution to the last body byte. Default 5 s (`--jwks-timeout-ms`).
    package var timeout: Duration = .seconds(5)
    /// Largest body read; reading stops past it. Default 64 KiB, the inline `jwks` limit.
    package var maxBytes = ClientKeyPolicy.maxJWKSBytes
    /// How long a fetched set is used before it is fetched again. Default 10 minutes.
    package var freshFor: Duration = .seconds(600)
    /// How long the last good set stands in when fetches fail (a JWKS server down must not lock
    /// its clients out at once; a key removed from it must not live on for ever). Default 1 hour.
    package var keepLastGoodFor: Duration = .seconds(3_600)
    /// Fetches a URL at most once per interval on the token path: a flood of assertions with
    /// unknown kids cannot make Keyward a request amplifier. Default 30 s.
    package var refreshInterval: Duration = .seconds(30)

    package init() {}
}

/// Public keys published at a URL (a client's `jwks_uri`, and a workload trust's), fetched
/// safely and cached in memory per URL. Independent of clients: a URL string in, keys validated
/// by `ClientKeyPolicy` out (1…10 public keys, each naming its alg; a private member fails it).
///
/// The fetch rules (SECURITY-CASES case 20, no SSRF):
/// - `https` only; `http` only to a loopback host (`localhost` or a loopback literal), for tests
///   and sidecars. No user or password in the URL.
/// - The host must be on the allow-list (`JWKSAllowList`: exact host or `.domain`).
/// - The name is resolved once, here, and every address it resolves to must pass
///   `OutboundAddress.permitted`: never link-local (169.254/16, fe80::/10, where cloud metadata
///   answers), unspecified, multicast, broadcast or reserved; loopback and private only when the
///   allow-list names the host exactly. IPv4-mapped and NAT64 IPv6 count as their IPv4.
/// - DNS rebinding: AsyncHTTPClient cannot be handed a socket address, but its `dnsOverride`
///   maps a host name to the address to connect to while TLS still sends and verifies the host
///   name. Each fetch uses a client whose override maps the URL's host to the address checked
///   above, so the connection goes where the check looked, not to a second answer of the DNS.
/// - No redirect is followed: a 3xx is a failure (a redirect to 169.254.169.254 goes nowhere).
/// - Only a 200 with `Content-Type` `application/json` or `application/jwk-set+json`; a
///   `Content-Length` over the cap fails before reading, and reading stops at the cap (64 KiB),
///   so a 50 MB body costs at most 64 KiB of memory.
/// - One total timeout (default 5 s) covers resolution, connection and the whole body.
/// - No proxy from the environment, no cookies, no decompression.
///
/// Cache: a set is used for `freshFor` (10 min); an assertion naming an unknown kid, or a stale
/// or missing set, fetches again at most once per `refreshInterval` (30 s) per URL, and
/// concurrent callers share one fetch. A failed fetch keeps the last good set until
/// `keepLastGoodFor` (1 h) after it was fetched.
package final class RemoteJWKS: Sendable {
    package let settings: RemoteJWKSSettings
    let clock: WallClock
    let logger: Logger

    private struct Cached {
        var keys: [PublicJWK]
        var fetchedAt: Date
    }

    private struct State {
        var cache: [String: Cached] = [:]
        /// When the token path last fetched each URL (registration fetches do not count).
        var lastAttempt: [String: Date] = [:]
        /// Fetches under way, shared by every caller that needs the same URL.
        var inFlight: [String: Task<[PublicJWK], any Error>] = [:]
    }

    private let state = Mutex(State())

    package init(settings: RemoteJWKSSettings, clock: WallClock = .system, logger: Logger) {
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Fetches `url` now (registration: an administrator's request, not rate-limited) and caches
    /// the set. Throws the reason when the URL or the fetch breaks a rule.
    package func fetch(_ url: String) async throws(JWKSFetchError) -> [PublicJWK] {
        let keys = try await shared(url)
        return keys
    }

    /// The keys to verify a signature with: the cached set while fresh and, when `kid` is given
    /// and not in it (a rotation), or the set is stale or missing, a new fetch — at most once per
    /// `refreshInterval` per URL. A failed fetch answers the last good set while it may stand in
    /// and holds `kid`, else the failure.
    package func keys(_ url: String, kid: String?) async throws(JWKSFetchError) -> [PublicJWK] {
        let now = clock.now()
        let decision = state.withLock { s -> (cached: Cached?, fetch: Bool) in
            let cached = s.cache[url]
            let fresh = cached.map { now.timeIntervalSince($0.fetchedAt) < Self.seconds(settings.freshFor) } ?? false
            let known = kid.map { k in cached?.keys.contains { $0.kid == k } ?? false } ?? true
            if fresh, known { return (cached, false) }
            if s.inFlight[url] != nil { return (cached, true) }
            if let last = s.lastAttempt[url], now.timeIntervalSince(last) < Self.seconds(settings.refreshInterval) { return (cached, false) }
            s.lastAttempt[url] = now
            return (cached, true)
        }
        let standIn = decision.cached.flatMap { c in now.timeIntervalSince(c.fetchedAt) < Self.seconds(settings.keepLastGoodFor) ? c.keys : nil }
        guard decision.fetch else {
            if let standIn { return standIn }
            throw JWKSFetchError("the key set could not be fetched recently; retry later")
        }
        do {
            return try await shared(url)
        } catch {
            // The last good set stands in, unless the kid asked for is not in it either: then the
            // failure is the answer (and is what gets audited).
            if let standIn, kid.map({ k in standIn.contains { $0.kid == k } }) ?? true { return standIn }
            throw error
        }
    }

    /// One fetch per URL at a time: a caller arriving while one is under way waits for it.
    private func shared(_ url: String) async throws(JWKSFetchError) -> [PublicJWK] {
        let task = state.withLock { s in
            if let t = s.inFlight[url] { return t }
            // Unstructured on purpose: the fetch belongs to every waiter, not to the first one, and
            // is bounded by the settings' timeout.
            let t = Task { try await self.fetchOnce(url) }
            s.inFlight[url] = t
            return t
        }
        let result = await task.result
        let now = clock.now()
        state.withLock { s in
            if s.inFlight[url] == task { s.inFlight[url] = nil }
            if case .success(let keys) = result { s.cache[url] = Cached(keys: keys, fetchedAt: now) }
        }
        switch result {
        case .success(let keys): return keys
        case .failure(let e as JWKSFetchError):
            logger.notice("jwks_uri fetch failed", metadata: ["reason": "\(e.reason)"])
            throw e
        case .failure:
            throw JWKSFetchError("the key set could not be fetched")
        }
    }

    /// Forgets every cached set (tests, and an operator's restart does the same).
    package func clear() {
        state.withLock { $0.cache = [:]; $0.lastAttempt = [:] }
    }

    static func seconds(_ d: Duration) -> TimeInterval {
        TimeInterval(d.components.seconds) + TimeInterval(d.components.attoseconds) / 1e18
    }
}
