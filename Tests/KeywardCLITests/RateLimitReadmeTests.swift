import Foundation
import KeywardTesting
import Testing

/// Issue 14: the README's "Rate limits" walk-through, run as written (its ```sh block) by bash with
/// this build's `keyward` first on the PATH, against a real server with the default policy.
@Suite("README rate limits, as written", .serialized)
struct RateLimitReadmeTests {
    @Test("the README's rate-limit walk-through runs as written: an identity's and a key's own limits set and shown, the third verify rate_limited (exit 1), back to the policy's limit valid again, the identity's limit removed with null")
    func asWritten() async throws {
        let dir = try TempDirectory("keyward-readme-limits")
        let (server, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"))
        defer { server.stop(); dir.remove() }
        let r = try await ClientsCLITests.runReadme(in: dir, env: ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin)], section: "Rate limits")
        #expect(r.status == 0, "the walk-through stopped: \(r.stderr.suffix(2_000))")
        let out = r.stdout
        // What `identities update` and `keys update` show: the limits as set.
        #expect(out.contains("100 per 60 s, burst 100"))
        #expect(out.contains("10 per 1 s, burst 20"))
        #expect(out.contains("2 per 3600 s, burst 2"))
        // Two valid, the third refused with the key named, then valid again under the policy's limit.
        let verdicts = out.split(separator: "\n").filter { $0.hasPrefix("valid: ") || $0.hasPrefix("invalid: ") }
        #expect(verdicts.count == 4, "\(verdicts)")
        #expect(verdicts.map { $0.hasPrefix("valid: ") } == [true, true, false, true])
        #expect(verdicts.count == 4 && ClientsCLITests.matches(String(verdicts[2]), "^invalid: rate_limited \\(key key_[0-9a-f]{32}\\)$"))
        #expect(out.contains("exit 1"))
        // The curl PATCH answered the identity with no limit of its own.
        let identity = try ClientsCLITests.json(String(try #require(out.split(separator: "\n").last)))
        #expect(identity["name"] as? String == "reports-export")
        #expect(identity["rate_limit"] == nil)
    }
}
