import AsyncHTTPClient
import Crypto
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import NIOCore
import NIOHTTP1
import Synchronization

/// `bench token`'s verify phase: `POST /v1/keys/verify` of one DPoP-bound access token against
/// one API key, on the same server, with the same wrk connections and the same Lua request path.
/// Every DPoP request carries a fresh proof (its own `jti`, `htm`, `htu` and the token's `ath`),
/// signed before its round as the token rounds sign their assertions; a proof is accepted for 60 s
/// after its `iat` and only once, so each round gets its own, and a round that sent more requests
/// than it had proofs is refused as invalid. Target: DPoP-bound verify ≥ 0.8 × API-key verify;
/// printed beside it, the ceiling of that ratio on the server's CPUs.
extension BenchTokenCommand {
    /// What the phase needs from the store: a `keyward:verify` bearer, an API key of the bench
    /// identity, and a `private_key_jwt` client whose tokens are DPoP-bound.
    struct VerifyFixture: Sendable {
        var bearer: String
        var apiKey: String
        var dpopClientID: String
    }

    /// The resource the DPoP proofs are made for (what a resource server passes as htm and htu).
    static let resourceMethod = "GET"
    static let resourceURL = "https://api.bench.example/v1/resource"

    func seedVerify(_ m: Governance, identity: IdentityID, jwks: String) async throws -> VerifyFixture {
        let (_, bearer) = try await m.issueKey(NewKey(identityID: .keyward, scopes: ["keyward:verify"], environment: .live, ttlSeconds: 86_400,
                                                      expiresAt: nil, name: "bench-verify", nonExpiring: false, exceptionReason: nil), actor: .system)
        let (_, key) = try await m.issueKey(NewKey(identityID: identity, scopes: ["bench:read"], environment: .live, ttlSeconds: 86_400,
                                                   expiresAt: nil, name: "bench-key", nonExpiring: false, exceptionReason: nil), actor: .system)
        let client = try await m.registerClient(NewClient(identityID: identity.description, name: "bench-dpop", authMethod: "private_key_jwt",
                                                          jwksJSON: jwks, jwksURI: nil, tlsSubjectDN: nil, tlsSANDNS: nil, scope: "bench:read",
                                                          environment: nil, dpopBound: true, certificateBound: false, refusedMembers: []), actor: .system)
        return VerifyFixture(bearer: bearer.reveal(), apiKey: key.reveal(), dpopClientID: client.id.description)
    }

    /// Runs the phase and prints its table and ratio; throws when a round was invalid.
    /// `verifies`: ES256 verifies per second on the server's CPUs, measured in this run, for the ceiling.
    func verifyPhase(wrk: String, fixture: VerifyFixture, key: P256.Signing.PrivateKey, base: String, threads: Int, clientCPUs: String?,
                     dir: String, verifies: Double) async throws {
        guard duration <= 45 else { throw CLIExit.error("the verify phase needs --duration ≤ 45 (a DPoP proof is accepted for 60 s after its iat)") }
        let token = try await dpopBoundToken(fixture: fixture, key: key, base: base)
        let resource = #"","scopes":["bench:read"],"htm":"\#(Self.resourceMethod)","htu":"\#(Self.resourceURL)"}"#
        let keyBody = #"{"key":"\#(fixture.apiKey)","scopes":["bench:read"]}"#
        // Both answer valid before anything is measured.
        for body in [keyBody, #"{"key":"\#(token)","dpop":"\#(Self.proofs(count: 1, key: key, token: token)[0])"# + resource] {
            let reply = try await post(base + "/v1/keys/verify", body: body, bearer: fixture.bearer)
            guard reply.contains(#""valid":true"#) else { throw CLIExit.error("bench token: a verify set-up request was not valid: \(reply.prefix(200))") }
        }
        let run = BenchVerifyCommand()
        func round(_ name: String, bodies: [String], seconds: Int) throws -> BenchVerifyCommand.WrkResult {
            let script = try writeLua(dir + "/verify-\(name).lua", threads: threads, target: "/v1/keys/verify",
                                      headers: ["Content-Type": "application/json", "Authorization": "Bearer " + fixture.bearer], bodies: bodies)
            return try run.runWrk(wrk, cpus: clientCPUs, ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script, base])
        }
        func dpopBodies(_ count: Int) -> [String] {
            Self.proofs(count: count, key: key, token: token).map { #"{"key":"\#(token)","dpop":"\#($0)"# + resource }
        }
        let keyBodies = [String](repeating: keyBody, count: 1_000)
        // Warm-up, and the DPoP rate that sizes each round's proofs (with room to spare).
        _ = try round("key-warm", bodies: keyBodies, seconds: 2)
        let warmProofs = 40_000
        let warm = try round("dpop-warm", bodies: dpopBodies(warmProofs), seconds: 2)
        guard warm.requests <= warmProofs else { throw CLIExit.error("bench token: the DPoP warm-up ran out of proofs") }
        var keys: [BenchVerifyCommand.WrkResult] = [], dpop: [BenchVerifyCommand.WrkResult] = []
        for r in 1...rounds {
            keys.append(try round("key-\(r)", bodies: keyBodies, seconds: duration))
            let count = Int(warm.rps * 1.5 * Double(duration)) + 10_000
            print("bench token: signing \(count) DPoP proofs for round \(r) …")
            let result = try round("dpop-\(r)", bodies: dpopBodies(count), seconds: duration)
            guard result.requests <= count else { throw CLIExit.error("bench token: round \(r) sent more DPoP requests than it had proofs: invalid") }
            dpop.append(result)
        }
        print("")
        print("round  verify of          req/s     p50 ms   p99 ms   non-2xx")
        for r in 0..<rounds {
            for (name, x) in [("API key", keys[r]), ("DPoP-bound token", dpop[r])] {
                print(String(format: "%5d  %-17@ %8.0f  %7.3f  %7.3f  %d", r + 1, name as NSString, x.rps, x.p50, x.p99, x.non2xx))
            }
        }
        let ratio = dpop.map(\.rps).reduce(0, +) / keys.map(\.rps).reduce(0, +)
        print("")
        print(String(format: "verify of a DPoP-bound token ÷ verify of an API key %.3f (target ≥ 0.8: %@)", ratio, ratio >= 0.8 ? "met" : "NOT met"))
        // The most a DPoP-bound verify can reach here: an API-key verify's whole cost plus the one
        // ES256 verify of the proof that it cannot skip (a proof is used once), nothing else.
        let keyRate = keys.map(\.rps).reduce(0, +) / Double(keys.count)
        let ceiling = verifies / (verifies + keyRate)
        print(String(format: "ceiling: an API-key verify plus one ES256 verify (%.0f/s on the server's CPUs) per request: %.3f; DPoP reaches %.0f%% of it",
                     verifies, ceiling, 100 * ratio / ceiling))
        if (keys + dpop).contains(where: { $0.non2xx > 0 }) { throw CLIExit.error("some verify responses were not 2xx: the measurement is invalid") }
    }

    /// A DPoP-bound token for the fixture's client, from the server under test.
    func dpopBoundToken(fixture: VerifyFixture, key: P256.Signing.PrivateKey, base: String) async throws -> String {
        let form = Self.assertions(count: 1, key: key, clientID: fixture.dpopClientID, audience: base + "/oauth/token")[0]
        let proof = Self.proof(key: key, header: Self.proofHeader(key), htm: "POST", htu: base + "/oauth/token", ath: nil,
                               iat: Int(Date().timeIntervalSince1970), jti: "t-\(UInt64.random(in: 0 ... .max))")
        let reply = try await post(base + "/oauth/token", body: form, contentType: "application/x-www-form-urlencoded", dpop: proof)
        guard let object = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any], let token = object["access_token"] as? String,
              object["token_type"] as? String == "DPoP" else { throw CLIExit.error("bench token: no DPoP-bound token was issued") }
        return token
    }

    private func post(_ url: String, body: String, contentType: String = "application/json", bearer: String? = nil, dpop: String? = nil) async throws -> String {
        var req = HTTPClientRequest(url: url)
        req.method = .POST
        req.headers.add(name: "Content-Type", value: contentType)
        if let bearer { req.headers.add(name: "Authorization", value: "Bearer " + bearer) }
        if let dpop { req.headers.add(name: "DPoP", value: dpop) }
        req.body = .bytes(ByteBuffer(string: body))
        let response = try await APIClient.http.get().execute(req, timeout: .seconds(30))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    static func proofHeader(_ key: P256.Signing.PrivateKey) -> String {
        let raw = Array(key.publicKey.rawRepresentation)
        let jwk = #"{"kty":"EC","crv":"P-256","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}"#
        return Base64URL.encode(Array(#"{"typ":"dpop+jwt","alg":"ES256","jwk":\#(jwk)}"#.utf8))
    }

    static func proof(key: P256.Signing.PrivateKey, header: String, htm: String, htu: String, ath: String?, iat: Int, jti: String) -> String {
        let athMember = ath.map { #","ath":"\#($0)""# } ?? ""
        let input = header + "." + Base64URL.encode(Array(#"{"jti":"\#(jti)","htm":"\#(htm)","htu":"\#(htu)","iat":\#(iat)\#(athMember)}"#.utf8))
        let sig = (try? key.signature(for: Array(input.utf8)).rawRepresentation).map { Base64URL.encode(Array($0)) } ?? ""
        return input + "." + sig
    }

    /// `count` proofs for the resource request, each with its own `jti`, signed now on every CPU.
    static func proofs(count: Int, key: P256.Signing.PrivateKey, token: String) -> [String] {
        let header = proofHeader(key)
        let ath = Base64URL.encode(Array(SHA256.hash(data: Array(token.utf8))))
        let iat = Int(Date().timeIntervalSince1970)
        let tag = UInt64.random(in: 0 ... .max)
        let parts = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let done = Mutex([Int: [String]]())
        let keyData = key.rawRepresentation
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            guard let key = try? P256.Signing.PrivateKey(rawRepresentation: keyData) else { return }
            let mine = stride(from: part, to: count, by: parts).map { i in
                proof(key: key, header: header, htm: resourceMethod, htu: resourceURL, ath: ath, iat: iat, jti: "p\(i)-\(tag)")
            }
            done.withLock { $0[part] = mine }
        }
        let chunks = done.withLock { $0 }
        return (0..<count).map { i in chunks[i % parts]?[i / parts] ?? "" }
    }
}
