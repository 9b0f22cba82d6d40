import Foundation
import KeywardTesting
import Testing

/// case 61 of docs/security-cases.md at CI size: small dense corpora from ../shared/peer-suites (generated here,
/// never committed), scored by its score_peers.py. Bars: recall ≥ 0.97 and precision ≥ 0.97.
@Suite("keyward scan quality on generated corpora", .serialized)
struct ScanQualityTests {
    static func peerSuites() -> String? {
        let candidates = [KeywardBinary.repositoryRoot() + "/../shared/peer-suites", "/work/shared/peer-suites"]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/make_corpus.py") }
    }

    @Test("recall and precision ≥ 0.97 on dense corpora", arguments: [11, 23])
    func quality(seed: Int) async throws {
        let suites = try #require(Self.peerSuites(), "../shared/peer-suites is missing")
        let dir = try TempDirectory("keyward-corpus")
        defer { dir.remove() }
        let corpus = dir.file("corpus"), truth = dir.file("truth.json"), sarif = dir.file("out.sarif"), score = dir.file("score.json")
        let gen = try await ProcessRunner.run("/usr/bin/env", ["python3", suites + "/make_corpus.py", "--out", corpus, "--mb", "5", "--density-kb", "20",
                                                         "--seed", String(seed), "--truth", truth])
        #expect(gen.status == 0, "\(gen.stderr)")
        let r = try await ScanCLITests.scan([corpus, "--format", "sarif", "--output", sarif], in: dir)
        #expect(r.status == 1, "\(r.stderr)")
        let s = try await ProcessRunner.run("/usr/bin/env", ["python3", suites + "/score_peers.py", "--truth", truth, "--root", corpus,
                                                       "--finding", "keyward", "sarif", sarif, "--per-provider", "--json", score])
        #expect(s.status == 0, "\(s.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: score)))
        let (recall, precision) = try #require(Self.figures(doc), "unexpected score format: \(s.stdout.prefix(500))")
        #expect(recall >= 0.97, "recall \(recall)\n\(s.stdout)")
        #expect(precision >= 0.97, "precision \(precision)\n\(s.stdout)")
    }

    /// Finds the keyward row's recall and precision in score_peers.py's JSON.
    static func figures(_ doc: Any) -> (Double, Double)? {
        if let d = doc as? [String: Any] {
            if let r = d["recall"] as? Double, let p = d["precision"] as? Double, (d["name"] as? String ?? d["tool"] as? String ?? "keyward") == "keyward" {
                return (r, p)
            }
            for v in d.values { if let f = figures(v) { return f } }
        } else if let a = doc as? [Any] {
            for v in a { if let f = figures(v) { return f } }
        }
        return nil
    }
}
