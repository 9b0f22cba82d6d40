import Foundation
import KeywardTesting
import Testing

/// Issue 15: the README's abuse-detection walk-through, run as written (its ```sh block) by bash
/// with this build's `keyward` first on the PATH, against a real server started as the README says.
@Suite("README abuse detection, as written", .serialized)
struct DetectionReadmeTests {
    @Test("the README's scraping run is quarantined as written: verify answers quarantined, the detection shows its evidence, the incident its timeline, the owner got detection.raised and incident.opened, and a release makes the key valid again")
    func asWritten() async throws {
        let dir = try TempDirectory("keyward-readme-detect")
        let (server, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), extraArgs: ["--detect", "live:object_enumeration=quarantine"])
        defer { server.stop(); dir.remove() }
        let r = try await ClientsCLITests.runReadme(in: dir, env: ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin)],
                                                    section: "Abuse detection at the verify point")
        #expect(r.status == 0, "the walk-through stopped: \(r.stderr.suffix(2_000))")
        let out = r.stdout
        #expect(ClientsCLITests.matches(out, "invalid: quarantined \\(key key_[0-9a-f]{32}\\)"), "\(out.prefix(3_000))")
        #expect(out.contains("exit 1"))
        #expect(out.contains("object_enumeration") && out.contains("distinct paths in 10 minutes"))
        #expect(out.contains("203.0.113.50"))
        // The incident: detected, contained, notified — with the evidence on its timeline.
        #expect(out.contains("classification") && out.contains("detected"))
        #expect(ClientsCLITests.matches(out, "contained +quarantined key_[0-9a-f]{32}"))
        #expect(out.contains("notified") && out.contains("incident.opened webhook queued for dana@example.com"))
        // The owner's inbox.
        #expect(out.contains(#""type":"detection.raised""#) && out.contains(#""type":"incident.opened""#))
        #expect(out.contains(#""owner":"dana@example.com""#))
        #expect(ClientsCLITests.matches(out, "detection det_[0-9a-f]{32} released"))
        #expect(out.split(separator: "\n").last?.hasPrefix("valid: key key_") == true)
    }

    @Test("a bad --detect rule exits 2 naming it")
    func badRule() async throws {
        let dir = try TempDirectory("keyward-detect-flag")
        defer { dir.remove() }
        for rule in ["volume_spike=block", "enumeration=quarantine", "nope=notify", "block_seconds=1"] {
            let r = try await KeywardBinary.run(["serve", "--data-dir", dir.file("data"), "--port", "0", "--detect", rule])
            #expect(r.status == 2, "\(rule): \(r.stderr)")
            #expect(r.stderr.contains("--detect"), "\(r.stderr)")
        }
    }
}
