import ArgumentParser
import Crypto
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardStore
import Logging
import NIOCore
import Synchronization

/// `keyward bench token`: `client_credentials` with `private_key_jwt` (ES256) at 64 connections
/// against a release server in its default configuration, driven by wrk with assertions signed
/// before the run (each used once: the server refuses a replayed `jti`). Prints tokens/s, p99,
/// and the crypto bound measured in the same run on the server's CPUs: one ES256 verify (the
/// assertion) plus one ES256 sign (the token) per token. Targets: ≥ 0.6 × the bound and
/// ≥ 5,000 tokens/s on 2 cores. Then (`--no-verify` skips it) verify of a DPoP-bound token
/// against verify of an API key on the same server (`BenchTokenCommand+Verify.swift`).
struct BenchTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Token endpoint throughput against the ES256 crypto bound (needs wrk).")

    @Option(help: "wrk connections.") var connections: Int = 64
    @Option(help: "Seconds per measurement.") var duration: Int = 5
    @Option(help: "Measured rounds.") var rounds: Int = 2
    @Option(help: "Assertions signed before the run (each is used once; the run stops being valid when they run out).") var assertions: Int = 120_000
    @Flag(name: .customLong("share-cpus"), help: "Let the server and wrk share every CPU instead of giving each half of them.") var shareCPUs = false
    /// Internal: measure the crypto bound on the CPUs this process may run on (the parent starts it under taskset) and print it.
    @Flag(name: .customLong("measure-crypto-bound"), help: .hidden) var cryptoBoundOnly = false
    @Flag(help: "Also time each step of a token request in this process, without HTTP or the store (µs per call), to see where the time goes.")
    var steps = false
    @Flag(inversion: .prefixedNo, help: "Also measure verify of a DPoP-bound token (a fresh proof each) against verify of an API key, same server and connections (target ≥ 0.8).")
    var verify = true

    func run() async throws {
        if cryptoBoundOnly {
            let cpus = CPUSet.allowed()?.count ?? ProcessInfo.processInfo.activeProcessorCount
            print(String(format: "%.0f %.0f", Self.cryptoBound(threads: cpus, seconds: 2), Self.cryptoBound(threads: cpus, seconds: 1, verifyOnly: true)))
            return
        }
        guard (1...10_000).contains(connections), (1...120).contains(duration), (1...10).contains(rounds), (1_000...2_000_000).contains(assertions) else {
            throw CLIExit.error("bad benchmark parameters")
        }
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile) else {
            throw CLIExit.error("wrk is not installed (scripts/install.sh --test installs it)")
        }
        let dir = NSTemporaryDirectory() + "keyward-bench-token-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = P256.Signing.PrivateKey()
        let (clientID, fixture) = try await seed(dataDir: dir + "/data", key: key)

        let all = CPUSet.allowed() ?? Array(0..<ProcessInfo.processInfo.activeProcessorCount)
        let split = !shareCPUs && all.count >= 2 && FileManager.default.isExecutableFile(atPath: BenchServer.taskset)
        let serverCPUCount = split ? all.count / 2 : all.count
        let serverCPUs = split ? BenchVerifyCommand.cpuList(all.prefix(all.count / 2)) : nil
        let clientCPUs = split ? BenchVerifyCommand.cpuList(all.dropFirst(all.count / 2)) : nil
        let threads = split ? all.count - all.count / 2 : all.count
        let server = try BenchServer.start(dataDir: dir + "/data", logDir: dir, cpus: serverCPUs)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        print("bench token: server (\(BenchServer.configuration)) pid \(server.pid) on port \(server.port)"
              + (split ? ", on CPUs \(serverCPUs!); wrk (\(threads) threads) on CPUs \(clientCPUs!)" : "; server and wrk share \(all.count) CPUs"))

        print("bench token: signing \(assertions) client assertions …")
        let audience = base + "/oauth/token"
        // One script per wrk run (the warm-up and each round) with its own share of the assertions:
        // each run starts its counters afresh, and an assertion sent twice is refused.
        let bodies = Self.assertions(count: assertions, key: key, clientID: clientID, audience: audience)
        let share = assertions / (rounds + 1)
        let scripts = try (0...rounds).map { r in
            try writeLua(dir + "/token-\(r).lua", threads: threads, target: "/oauth/token", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                         bodies: Array(bodies[(r * share)..<((r + 1) * share)]))
        }
        let boundCommand = BenchServer.pinned(serverCPUs) + [ProcStatus.executablePath(), "bench", Self.configuration.commandName ?? "", "--measure-crypto-bound"]
        let measured = try BenchServer.capture(boundCommand[0], Array(boundCommand.dropFirst()))
        let figures = measured.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard figures.count == 2, let bound = figures.first, let verifies = figures.last, bound > 0, verifies > 0 else {
            throw CLIExit.error("the crypto bound could not be measured")
        }
        print(String(format: "bench token: crypto bound on the server's %d CPU(s): %.0f tokens/s (one ES256 verify + one ES256 sign each)", serverCPUCount, bound))

        let verifyRun = BenchVerifyCommand()
        _ = try verifyRun.runWrk(wrk, cpus: clientCPUs, ["-t\(threads)", "-c\(connections)", "-d2s", "--latency", "-s", scripts[0], base])
        var results: [BenchVerifyCommand.WrkResult] = []
        for r in 1...rounds {
            results.append(try verifyRun.runWrk(wrk, cpus: clientCPUs, ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency", "-s", scripts[r], base]))
        }
        print("")
        print("round  tokens/s   p50 ms   p99 ms   non-2xx")
        for (i, r) in results.enumerated() {
            print(String(format: "%5d  %8.0f  %7.3f  %7.3f  %d", i + 1, r.rps, r.p50, r.p99, r.non2xx))
        }
        let rate = results.map(\.rps).reduce(0, +) / Double(results.count)
        let p99 = results.map(\.p99).reduce(0, +) / Double(results.count)
        print("")
        print(String(format: "tokens/s %.0f (target ≥ 5000: %@); tokens/s ÷ crypto bound %.3f (target ≥ 0.6: %@); p99 %.2f ms",
                     rate, rate >= 5_000 ? "met" : "NOT met", rate / bound, rate / bound >= 0.6 ? "met" : "NOT met", p99))
        print(String(format: "server RSS after the run: %.0f MiB", ProcStatus.rssMiB(pid: server.pid)))
        if results.contains(where: { $0.non2xx > 0 }) {
            throw CLIExit.error("some responses were not 2xx (assertions ran out, or a refusal): the measurement is invalid; see --assertions")
        }
        if verify {
            print("")
            try await verifyPhase(wrk: wrk, fixture: fixture, key: key, base: base, threads: threads, clientCPUs: clientCPUs, dir: dir, verifies: verifies)
        }
        if steps { Self.timeSteps(key: key, clientID: clientID, audience: audience) }
    }

    /// The store `keyward serve` will open: an identity and a `private_key_jwt` client with `key`'s public half.
    /// With it, what the verify phase needs (`seedVerify`).
    func seed(dataDir: String, key: P256.Signing.PrivateKey) async throws -> (String, VerifyFixture) {
        var logger = Logger(label: "keyward.bench")
        logger.logLevel = .error
        let (m, _) = try await Governance.open(StoreLocation(dataDirectory: dataDir), create: true, ruleCacheDirectory: Settings.ruleCache(Settings()[.ruleCacheDir]),
                                               logger: logger)
        do {
            let idn = try await m.createIdentity(NewIdentity(name: "bench", kind: .service, businessOwner: "bench", technicalOwner: "bench",
                                                             purpose: "benchmark", environment: "bench", dataClassification: .internal, labels: [:],
                                                             allowedScopes: ["bench:read"]), actor: .system)
            let raw = Array(key.publicKey.rawRepresentation)
            let jwk = #"{"kty":"EC","crv":"P-256","alg":"ES256","kid":"bench","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}"#
            let client = try await m.registerClient(NewClient(identityID: idn.id.description, name: "bench", authMethod: "private_key_jwt",
                                                              jwksJSON: #"{"keys":[\#(jwk)]}"#, jwksURI: nil, tlsSubjectDN: nil, tlsSANDNS: nil,
                                                              scope: "bench:read", environment: nil, dpopBound: false, certificateBound: false,
                                                              refusedMembers: []), actor: .system)
            let fixture = try await seedVerify(m, identity: idn.id, jwks: #"{"keys":[\#(jwk)]}"#)
            await m.store.close()
            return (client.id.description, fixture)
        } catch {
            await m.store.close()
            throw error
        }
    }

    /// Form bodies, each with its own assertion (a fresh `jti`), valid for 5 minutes.
    static func assertions(count: Int, key: P256.Signing.PrivateKey, clientID: String, audience: String) -> [String] {
        let header = Base64URL.encode(Array(#"{"alg":"ES256","kid":"bench","typ":"JWT"}"#.utf8))
        let now = Int(Date().timeIntervalSince1970)
        return (0..<count).map { i in
            let payload = Base64URL.encode(Array(#"{"aud":"\#(audience)","exp":\#(now + 290),"iat":\#(now),"iss":"\#(clientID)","jti":"b\#(i)-\#(UInt64.random(in: 0 ... .max))","sub":"\#(clientID)"}"#.utf8))
            let input = header + "." + payload
            let sig = (try? key.signature(for: Array(input.utf8)).rawRepresentation).map { Base64URL.encode(Array($0)) } ?? ""
            return "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + input + "." + sig
        }
    }

    /// A wrk script POSTing `bodies` to `target`: the bodies are read from a file beside it (one per
    /// line; a table literal that large exceeds LuaJIT's constants), and each thread takes every
    /// `threads`-th body from its own offset, so no assertion or proof is sent twice.
    func writeLua(_ path: String, threads: Int, target: String, headers: [String: String], bodies: [String]) throws -> String {
        let data = path + ".bodies"
        guard FileManager.default.createFile(atPath: data, contents: Data(bodies.joined(separator: "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIExit.error("cannot write \(data)")
        }
        let script = """
            local bodies = {}
            for line in io.lines("\(data)") do bodies[#bodies + 1] = line end
            local n = #bodies
            local counter = 0
            function setup(thread)
              thread:set("id", counter)
              counter = counter + 1
            end
            local headers = {\(headers.sorted { $0.key < $1.key }.map { "[\"\($0.key)\"] = \"\($0.value)\"" }.joined(separator: ", "))}
            local i = 0
            request = function()
              local k = (i * \(threads) + (id or 0)) % n + 1
              i = i + 1
              return wrk.format("POST", "\(target)", headers, bodies[k])
            end
            """
        guard FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIExit.error("cannot write \(path)")
        }
        return path
    }

    /// ES256 verify + sign pairs per second on `threads` threads (the process runs pinned to the
    /// server's CPUs), or with `verifyOnly` ES256 verifies per second.
    static func cryptoBound(threads: Int, seconds: Double, verifyOnly: Bool = false) -> Double {
        let total = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let key = P256.Signing.PrivateKey()
            let message = Array(repeating: UInt8(ascii: "a"), count: 400)
            guard let signature = try? key.signature(for: message) else { return }
            let signer = P256.Signing.PrivateKey()
            let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
            var n = 0
            while DispatchTime.now().uptimeNanoseconds < end {
                _ = key.publicKey.isValidSignature(signature, for: message)
                if !verifyOnly { _ = try? signer.signature(for: message) }
                n += 1
            }
            total.withLock { $0 += n }
        }
        return Double(total.withLock { $0 }) / seconds
    }

    /// µs per call of each step of a token request, in this process (no HTTP, no store), single-threaded.
    static func timeSteps(key: P256.Signing.PrivateKey, clientID: String, audience: String) {
        let bodies = assertions(count: 2_000, key: key, clientID: clientID, audience: audience)
        let raw = Array(key.publicKey.rawRepresentation)
        let jwk = try? PublicJWK.parse(json: #"{"kty":"EC","crv":"P-256","alg":"ES256","kid":"bench","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}"#)
        let signing = TokenSigningKey(kid: "bench", privateKey: P256.Signing.PrivateKey())
        let texts = bodies.map { String($0[$0.range(of: "client_assertion=")!.upperBound...]) }
        func time(_ name: String, _ body: (Int) -> Void) {
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<texts.count { body(i) }
            let us = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000 / Double(texts.count)
            print("  " + name.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%8.1f µs", us))
        }
        print("bench token --steps (one thread, µs per call):")
        let buffers = bodies.map { ByteBuffer(string: $0) }
        time("form body parse (from a ByteBuffer, as the route)") { _ = try? FormBody.parse(buffers[$0].readableBytesView) }
        time("client assertion inspect (parse, header checks)") { _ = try? ClientAssertion.inspect(texts[$0], formClientID: nil) }
        let inspected = texts.compactMap { try? ClientAssertion.inspect($0, formClientID: nil) }
        time("client assertion verify (ES256 + claims)") { i in
            guard let jwk, i < inspected.count else { return }
            _ = try? ClientAssertion.verify(inspected[i], keys: [jwk], requirements: AssertionRequirements(audiences: [audience]), now: Date())
        }
        let claims = AccessTokenClaims(issuer: "http://127.0.0.1:8080", subject: clientID, clientID: clientID, audience: "http://127.0.0.1:8080",
                                       scope: ["bench:read"], issuedAt: Date(), expiresAt: Date().addingTimeInterval(300), jti: AccessTokenID.random().description,
                                       confirmation: nil)
        time("access token mint (claims + ES256 sign)") { _ in _ = AccessToken.mint(claims, key: signing) }
        let token = AccessToken.mint(claims, key: signing)
        time("token SHA-256 digest") { _ in _ = SecretDigest(hashing: token.utf8) }
        time("token response JSON (JSONEncoder)") { _ in
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            _ = try? e.encode(["access_token": token, "token_type": "Bearer", "scope": "bench:read"])
        }
        time("access token verify (parse + ES256)") { _ in _ = try? AccessToken.verify(token, publicKey: { _ in signing.privateKey.publicKey }, now: Date()) }
        let proofs = Self.proofs(count: texts.count, key: key, token: token)
        time("DPoP proof validate at verify (parse, jwk, ES256, ath)") { i in
            _ = try? DPoPProof.validate(headerValues: [proofs[i]], method: resourceMethod, expectedURI: resourceURL, accessToken: token, now: Date())
        }
    }
}
