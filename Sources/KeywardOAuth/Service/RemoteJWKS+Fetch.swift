import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `jwks_uri` that passed the URL rules, before any connection.
package struct JWKSTarget: Sendable, Equatable {
    package let url: String
    /// As the URL spells it (IPv6 without brackets).
    package let host: String
    package let match: JWKSAllowList.Match
}

extension RemoteJWKS {
    /// The URL rules (see the type's documentation), with no I/O: scheme, userinfo, allow-list.
    package static func target(_ url: String, allowList: JWKSAllowList) throws(JWKSFetchError) -> JWKSTarget {
        guard !allowList.isEmpty else {
            throw JWKSFetchError("this server accepts no jwks_uri (no host is allowed: serve --jwks-allow HOST); register the keys inline as jwks")
        }
        guard url.utf8.count <= 2_048, let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(),
              var host = c.host, !host.isEmpty else {
            throw JWKSFetchError("jwks_uri is not an absolute URL")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard c.user == nil, c.password == nil else { throw JWKSFetchError("jwks_uri must carry no user or password") }
        guard c.fragment == nil else { throw JWKSFetchError("jwks_uri must have no fragment") }
        let loopbackHost = JWKSAllowList.normalise(host) == "localhost" || OutboundAddress(literal: host)?.kind == .loopback
        switch scheme {
        case "https": break
        case "http" where loopbackHost: break
        default: throw JWKSFetchError("jwks_uri must be https (http only to a loopback host)")
        }
        guard let match = allowList.match(host: host) else {
            throw JWKSFetchError("jwks_uri host \(host) is not on this server's allow-list (--jwks-allow)")
        }
        return JWKSTarget(url: url, host: host, match: match)
    }

    /// The whole fetch under one deadline: check, resolve, connect to the checked address, read
    /// at most `maxBytes`, validate the set.
    func fetchOnce(_ url: String) async throws -> [PublicJWK] {
        let target = try Self.target(url, allowList: settings.allowList)
        let deadline = ContinuousClock.now + settings.timeout
        let addresses = try await Self.resolve(target.host, until: deadline)
        guard let first = addresses.first else { throw JWKSFetchError("jwks_uri host \(target.host) has no address") }
        for a in addresses where !a.permitted(hostNamedExactly: target.match == .exact) {
            throw JWKSFetchError("jwks_uri host \(target.host) resolves to \(a), a \(a.kind.rawValue) address, where a fetch may not go"
                                 + (a.kind == .loopback || a.kind == .privateNetwork ? " unless --jwks-allow names the host exactly" : ""))
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: Self.amount(settings.timeout), read: Self.amount(settings.timeout)))
        if OutboundAddress(literal: target.host) == nil {
            // Connect to the address checked above; TLS still verifies the host name (see the type's doc).
            configuration.dnsOverride = [target.host: first.description, target.host.lowercased(): first.description]
        }
        configuration.decompression = .disabled
        configuration.proxy = nil
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let body: ByteBuffer
        do {
            body = try await Self.raceDeadline(deadline) { try await self.get(url, client: client, deadline: deadline) }
        } catch {
            try? await client.shutdown()
            if let e = error as? JWKSFetchError { throw e }
            // AsyncHTTPClient's own read or connect timeout may fire with the deadline.
            if ContinuousClock.now >= deadline { throw JWKSFetchError("the jwks_uri server did not answer in time") }
            throw JWKSFetchError("the jwks_uri server could not be reached (\(String(describing: error).prefix(80)))")
        }
        try? await client.shutdown()
        do {
            return try ClientKeyPolicy.validate(jwksJSON: String(decoding: body.readableBytesView, as: UTF8.self))
        } catch {
            throw JWKSFetchError("the key set is not acceptable: \(error.reason)")
        }
    }

    private func get(_ url: String, client: HTTPClient, deadline: ContinuousClock.Instant) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        // RFC 7517 §8.5: application/jwk-set+json; plain JSON is what most servers send.
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        let response = try await client.execute(request, timeout: Self.amount(deadline - ContinuousClock.now))
        guard response.status == .ok else {
            if (300..<400).contains(response.status.code) {
                throw JWKSFetchError("the jwks_uri server answered \(response.status.code) (a redirect): redirects are not followed")
            }
            throw JWKSFetchError("the jwks_uri server answered \(response.status.code)")
        }
        let type = response.headers.first(name: "Content-Type")?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" || type == "application/jwk-set+json" else {
            throw JWKSFetchError("the jwks_uri server answered Content-Type \(type.map { String($0.prefix(80)) } ?? "none"), not JSON")
        }
        let cap = settings.maxBytes
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > cap {
            throw JWKSFetchError("the key set is larger than \(cap / 1024) KiB (Content-Length \(length))")
        }
        var body = ByteBuffer()
        for try await chunk in response.body {
            guard body.readableBytes + chunk.readableBytes <= cap else {
                throw JWKSFetchError("the key set is larger than \(cap / 1024) KiB: reading stopped")
            }
            body.writeImmutableBuffer(chunk)
        }
        return body
    }

    /// `operation`, or a timeout failure at `deadline`, whichever comes first; the loser is cancelled
    /// (AsyncHTTPClient cancels its request and closes the connection).
    static func raceDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant,
                                          _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                throw JWKSFetchError("the jwks_uri server did not answer in time")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw JWKSFetchError("the jwks_uri fetch did not run") }
            return first
        }
    }

    /// A duration as NIO's `TimeAmount`, at least 1 ns.
    static func amount(_ d: Duration) -> TimeAmount {
        .nanoseconds(max(1, d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000))
    }

    /// The host's addresses: an IP literal as itself, a name through `getaddrinfo` on NIO's
    /// blocking-I/O pool. A resolver that stalls is given up at `deadline` (its thread finishes
    /// on its own; nothing waits for it).
    package static func resolve(_ host: String, until deadline: ContinuousClock.Instant) async throws -> [OutboundAddress] {
        if let literal = OutboundAddress(literal: host) { return [literal] }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: [OutboundAddress].self)
        let settled = Once()
        let settle: @Sendable (Result<[OutboundAddress], any Error>) -> Void = { result in
            guard settled.first() else { return }
            promise.completeWith(result)
        }
        let timer = loop.scheduleTask(in: amount(deadline - ContinuousClock.now)) {
            settle(.failure(JWKSFetchError("the jwks_uri host name did not resolve in time")))
        }
        NIOThreadPool.singleton.runIfActive(eventLoop: loop) { try lookup(host) }.whenComplete { result in
            timer.cancel()
            settle(result)
        }
        return try await promise.futureResult.get()
    }

    private static func lookup(_ host: String) throws -> [OutboundAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let head = list else {
            throw JWKSFetchError("jwks_uri host \(host) does not resolve")
        }
        defer { freeaddrinfo(head) }
        var out: [OutboundAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = head
        while let n = node {
            if let sa = n.pointee.ai_addr {
                switch Int32(sa.pointee.sa_family) {
                case AF_INET:
                    var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    out.append(OutboundAddress(bytes: withUnsafeBytes(of: &a) { Array($0) })!)
                case AF_INET6:
                    var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    out.append(OutboundAddress(bytes: withUnsafeBytes(of: &a) { Array($0) })!)
                default: break
                }
            }
            node = n.pointee.ai_next
        }
        var seen: Set<OutboundAddress> = []
        return out.filter { seen.insert($0).inserted }
    }
}

/// True for the first caller only: a promise is completed once, by the resolver or the timer.
private final class Once: Sendable {
    private let done = Mutex(false)
    func first() -> Bool { done.withLock { d in defer { d = true }; return !d } }
}
