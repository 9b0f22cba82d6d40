import KeywardCore
import Synchronization

/// GCRA state shared by every node through one Redis server: a Lua script decides a request's
/// charges atomically, all or nothing, exactly as the local `RateLimiter.decide(_ charges:)`
/// does, so concurrent nodes cannot race a read-modify-write past a limit (Kong #8227).
///
/// Each bucket's TAT is a key `keyPrefix + bucket` holding microseconds; it expires (PX) when the
/// bucket is whole again (a missing key and a whole bucket decide alike). The clock is the Redis
/// host's (`TIME` inside the script): nodes' clocks never mix, and a node whose clock is stepped
/// grants no burst and locks no one out. `TIME` is that host's wall clock, so a stored TAT further
/// ahead than one horizon (its clock stepped back, or the limit lowered) counts as an exhausted
/// bucket: a step back locks no one out longer than one interval; a step forward makes buckets
/// whole (at most one burst, as an expired key would). The emission interval is rounded down to
/// whole microseconds (at most 1 µs per request in the client's favour).
///
/// Throws `KeywardError` `.unavailable` when Redis cannot answer (refused, timeout, error reply,
/// bytes that are not RESP); what to do then is the caller's policy. Not for Redis Cluster: the
/// keys of one request may live on different shards.
package final class RedisLimitStore: SharedLimitStore {
    package let client: RESPClient
    package let keyPrefix: String
    private let onError: @Sendable (KeywardError) -> Void
    private let scriptSHA = Mutex<String?>(nil)

    /// - Parameters:
    ///   - url: `redis://[:password@]host[:port][/db]` (`RedisURL(parsing:)`; a validation error otherwise).
    ///   - onError: called with every error `decide` or `ping` throws (e.g. to count
    ///     `keyward_ratelimit_store_errors_total`); never sees a password.
    package convenience init(url: String, configuration: RESPClient.Configuration = .init(), keyPrefix: String = "keyward:rl:",
                             onError: @escaping @Sendable (KeywardError) -> Void = { _ in }) throws {
        self.init(client: RESPClient(url: try RedisURL(parsing: url), configuration: configuration), keyPrefix: keyPrefix, onError: onError)
    }

    package init(client: RESPClient, keyPrefix: String = "keyward:rl:", onError: @escaping @Sendable (KeywardError) -> Void = { _ in }) {
        self.client = client
        self.keyPrefix = keyPrefix
        self.onError = onError
    }

    package func decide(_ charges: [LimitCharge], cost: Int) async throws -> LimitVerdict {
        guard !charges.isEmpty else { throw KeywardError(.internalError, "a rate-limit decision needs at least one bucket") }
        var args = [String(max(cost, 1))]
        args.reserveCapacity(1 + 3 * charges.count)
        for charge in charges {
            let gcra = GCRA(charge.limit)
            args += [String(Self.microseconds(gcra.interval)), String(charge.limit.burst), charge.peek ? "1" : "0"]
        }
        let keys = charges.map { keyPrefix + $0.bucket }
        let reply = try await run(keys: keys, args: args)
        guard case .array(let rows?) = reply, rows.count == charges.count else { throw failure(.protocolViolation("unexpected script reply")) }
        var decisions: [GCRA.Decision] = []
        decisions.reserveCapacity(rows.count)
        for row in rows {
            guard case .array(let cells?) = row, cells.count == 4,
                  case .integer(let admitted) = cells[0], case .integer(let remaining) = cells[1],
                  case .integer(let retry) = cells[2], case .integer(let reset) = cells[3]
            else { throw failure(.protocolViolation("unexpected script reply")) }
            decisions.append(GCRA.Decision(admitted: admitted == 1, remaining: Int(remaining),
                                           retryAfter: .microseconds(retry), reset: .microseconds(reset)))
        }
        return LimitVerdict.reduce(charges, decisions)
    }

    /// Whether Redis answers (for `/readyz`); throws like `decide` otherwise.
    package func ping() async throws {
        do {
            guard try await client.send(["PING"]).string == "PONG" else { throw failure(.protocolViolation("PING not answered with PONG")) }
        } catch let error as RESPError {
            throw failure(error)
        }
    }

    /// Closes the connections; `decide` throws afterwards.
    package func close() async { await client.close() }

    /// EVALSHA with the script's digest (loaded once per store with SCRIPT LOAD); EVAL when Redis
    /// lost its script cache (a restart, SCRIPT FLUSH), which also loads it again.
    private func run(keys: [String], args: [String]) async throws -> RESPValue {
        let tail = [String(keys.count)] + keys + args
        do {
            let sha = try await loadedScript()
            if let reply = try await Self.unlessNoScript({ () async throws(RESPError) -> RESPValue in try await client.send(["EVALSHA", sha] + tail) }) {
                return reply
            }
            return try await client.send(["EVAL", Self.script] + tail)
        } catch let error as RESPError {
            throw failure(error)
        }
    }

    /// The script's digest, from SCRIPT LOAD on first use.
    private func loadedScript() async throws(RESPError) -> String {
        if let sha = scriptSHA.withLock({ $0 }) { return sha }
        guard let sha = try await client.send(["SCRIPT", "LOAD", Self.script]).string else {
            throw .protocolViolation("SCRIPT LOAD did not return a digest")
        }
        scriptSHA.withLock { $0 = sha }
        return sha
    }

    /// The reply, or nil when Redis does not know the script.
    private static func unlessNoScript(_ body: () async throws(RESPError) -> RESPValue) async throws(RESPError) -> RESPValue? {
        do {
            return try await body()
        } catch {
            if case .server(let message) = error, message.hasPrefix("NOSCRIPT") { return nil }
            throw error
        }
    }

    private func failure(_ error: RESPError) -> KeywardError {
        let e = KeywardError(.unavailable, "the shared rate-limit store did not answer",
                             detail: "redis \(client.url.host):\(client.url.port): \(error)", retryAfter: 1)
        onError(e)
        return e
    }

    static func microseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return max(s * 1_000_000 + atto / 1_000_000_000_000, 1)
    }

    /// KEYS: one per bucket. ARGV[1]: cost; then per bucket: interval (µs), burst, peek (1/0).
    /// Returns per bucket {admitted 1/0, remaining, retry_after µs, reset µs}; writes only when
    /// every bucket admits, and never a peeked bucket. `GCRA.decide` in Lua, in microseconds.
    static let script = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local cost = tonumber(ARGV[1])
    local out, tats, all = {}, {}, true
    for i = 1, #KEYS do
      local interval = tonumber(ARGV[3 * i - 1])
      local horizon = interval * tonumber(ARGV[3 * i])
      local tat = math.min(tonumber(redis.call('GET', KEYS[i]) or '') or now, now + horizon)
      local base = math.max(tat, now)
      local nxt = base + interval * cost
      local allowed_from = nxt - horizon
      if now < allowed_from then
        all = false
        out[i] = {0, 0, allowed_from - now, base - now}
      else
        tats[i] = nxt
        out[i] = {1, math.floor((horizon - (nxt - now)) / interval), 0, nxt - now}
      end
    end
    if all then
      for i = 1, #KEYS do
        if ARGV[3 * i + 1] ~= '1' then
          local ttl = math.max(math.ceil((tats[i] - now) / 1000), 1)
          redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', string.format('%.0f', ttl))
        end
      end
    end
    return out
    """
}
