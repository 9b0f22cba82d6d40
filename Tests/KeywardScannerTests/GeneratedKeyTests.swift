import Foundation
import KeywardScanner
import KeywardTesting
import Testing

/// Private keys are never committed: scripts/check_rules.py generates them at test time (with
/// Python's `cryptography`), embedded as files, code, YAML, JSON and .env show them, and every
/// rule that names a generator must find every embedding.
@Suite("Built-in rules on private keys generated at test time")
struct GeneratedKeyTests {
    static func root() -> String { KeywardBinary.repositoryRoot().path }

    @Test("every generated example is found by its rule")
    func generated() async throws {
        let scanner = await RuleExamplesTests.built()
        let worker = try scanner.makeWorker()
        let wanted = scanner.rules.enumerated().flatMap { i, r in (r.generatedExamples ?? []).map { (i, $0) } }
        #expect(!wanted.isEmpty)
        let script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import check_rules as c
            out = {}
            for name in sys.argv[2:]:
                out[name] = c.embeddings(name, c.generate(name))
            print(json.dumps(out))
            """
        let names = Array(Set(wanted.map(\.1))).sorted()
        let r = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, Self.root() + "/scripts"] + names)
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: [[String]]])
        var failures: [String] = []
        for (ruleIndex, name) in wanted {
            for pair in doc[name] ?? [] where pair.count == 2 {
                let (confirmed, reported) = try Array(pair[1].utf8).withUnsafeBytes { try scanner.explain($0, worker: worker) }
                guard let own = confirmed.first(where: { $0.rule == ruleIndex }),
                      reported.contains(where: { $0.secretFrom < own.secretTo && own.secretFrom < $0.secretTo })
                else {
                    failures.append("\(scanner.rules[ruleIndex].id) \(name)/\(pair[0])")
                    continue
                }
            }
        }
        #expect(failures.isEmpty, "missed: \(failures)")
    }
}
