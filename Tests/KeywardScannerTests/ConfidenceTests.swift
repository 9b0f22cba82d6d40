import Foundation
import KeywardScanner
import KeywardTesting
import Testing

/// Every finding carries a confidence (check_rules.py step 6), the same in the Swift engine as in
/// the Python reference: a rule's own, lowered by a JWT's alg "none", and for generic rules low
/// unless the secret is clearly random.
@Suite("Finding confidence")
struct ConfidenceTests {
    static func confidences(_ text: String) async throws -> [String] {
        let scanner = await RuleExamplesTests.built()
        let worker = try scanner.makeWorker()
        let hits = try Array(text.utf8).withUnsafeBytes { try scanner.scan($0, worker: worker) }
        return hits.map { "\(scanner.rules[$0.rule].id):\($0.confidence.rawValue)" }
    }

    static func jwt(_ header: String, _ payload: String, signatureBytes: Int) -> String {
        func b64u(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        var rng = SeededRandom()
        let sig = Data((0..<signatureBytes).map { _ in UInt8.random(in: 0...255, using: &rng) })
        return b64u(Data(header.utf8)) + "." + b64u(Data(payload.utf8)) + "." + b64u(sig)
    }

    @Test("a word-like or short generic password is low, a random one medium, a provider token high")
    func generic() async throws {
        #expect(try await Self.confidences("DB_PASSWORD=hx7!kq2m\n") == ["generic.password-unquoted:low"])
        #expect(try await Self.confidences("password: 'tangerine42'\n") == ["generic.password-quoted:low"])
        #expect(try await Self.confidences("DB_PASSWORD=Zq8vR2pL9xW4mBkd\n") == ["generic.password-unquoted:medium"])
    }

    @Test("a JWT is found only when structurally valid; alg none is low")
    func jwt() async throws {
        let payload = #"{"sub":"worker-7","iat":1700000000,"exp":1700003600}"#
        let hs = Self.jwt(#"{"alg":"HS256","typ":"JWT"}"#, payload, signatureBytes: 32)
        #expect(try await Self.confidences("token: \(hs)\n") == ["jwt.token:high"])
        let none = Self.jwt(#"{"alg":"none","typ":"JWT"}"#, payload, signatureBytes: 0)
        #expect(try await Self.confidences("token: \(none)\n") == ["jwt.token:low"])
        // An RS256 header with a 32-byte signature, and a header without alg, are not JWTs.
        #expect(try await Self.confidences("token: \(Self.jwt(#"{"alg":"RS256"}"#, payload, signatureBytes: 32))\n").isEmpty)
        #expect(try await Self.confidences("token: \(Self.jwt(#"{"typ":"JWT"}"#, payload, signatureBytes: 32))\n").isEmpty)
    }

    @Test("Docker config.json auth must decode to user:password")
    func dockerAuth() async throws {
        let good = Data("ci-bot:Qx81mZ0vTr9wLk2p".utf8).base64EncodedString()
        #expect(try await Self.confidences(#"{"auths": {"registry.acme-corp.io": {"auth": "\#(good)"}}}"#) == ["docker.config-auth:high"])
        let noColon = Data("ci-botQx81mZ0vTr9wLk2p".utf8).base64EncodedString()
        #expect(try await Self.confidences(#"{"auths": {"registry.acme-corp.io": {"auth": "\#(noColon)"}}}"#).isEmpty)
    }

    @Test("the Swift engine gives every rule example the confidence the Python reference gives it")
    func parity() async throws {
        let scanner = await RuleExamplesTests.built()
        let worker = try scanner.makeWorker()
        let script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import check_rules as c
            rules, filters, _ = c.load_rules(sys.argv[2])
            engine = c.Engine(rules, c.Filters(filters))
            out = []
            for r in rules:
                for ex in r.d["examples"]:
                    out.append([ex, sorted("%s:%s" % (f.rule.id, f.confidence) for f in engine.scan(ex.encode()))])
            print(json.dumps(out))
            """
        let root = KeywardBinary.repositoryRoot().path
        let r = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, root + "/scripts", root + "/Sources/KeywardScanner/Resources/rules"])
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[Any]])
        var differ: [String] = []
        for pair in doc {
            guard let text = pair.first as? String, let want = pair.last as? [String] else { continue }
            let hits = try Array(text.utf8).withUnsafeBytes { try scanner.scan($0, worker: worker) }
            // Secrets found inside decoded base64 runs are the Swift engine's own extra stage.
            let got = hits.filter { $0.decoded == nil }.map { "\(scanner.rules[$0.rule].id):\($0.confidence.rawValue)" }.sorted()
            if got != want { differ.append("\(want) vs \(got)") }
        }
        #expect(doc.count > 500)
        #expect(differ.isEmpty, "\(differ.prefix(10))")
    }
}
