import Foundation
import KeywardTesting
import Testing

/// Issue 11: the README's tour is run as written — its shell blocks, in order, by bash with
/// `keyward` on the PATH — with ids captured by the commands themselves, never copied by hand.
/// Under scripts/test.sh (`KEYWARD_PACKAGE` set) both the server and the CLI are the packaged
/// binary, unpacked, with no toolchain on the PATH; else the debug build.
@Suite("README tour, as written", .serialized)
struct ReadmeTourTests {
    /// The ```sh blocks from "A five-minute tour" up to "What is there", without the lines
    /// that set the address, admin key and data folder (the test sets those).
    static func tourScript() throws -> String {
        let readme = try String(contentsOf: KeywardBinary.repositoryRoot().appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "## A five-minute tour\n"))
        let end = try #require(readme.range(of: "## What is there\n"))
        var blocks: [String] = []
        var inside = false
        for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "```sh" { inside = true; continue }
            if line == "```" { inside = false; continue }
            guard inside else { continue }
            if line.hasPrefix("export KEYWARD_ADDR=") || line.hasPrefix("export KEYWARD_TOKEN=") || line.hasPrefix("export KEYWARD_DATA_DIR=") { continue }
            blocks.append(String(line))
        }
        return blocks.joined(separator: "\n")
    }

    @Test("the tour and the leak loop run as written: every step succeeds or fails as the README says, and nothing lands in the checkout")
    func tourAsWritten() async throws {
        let dir = try TempDirectory("keyward-readme-tour")
        var binary = KeywardBinary.path()
        if ProcessInfo.processInfo.environment["KEYWARD_PACKAGE"] != nil {
            binary = try await PackageTests.unpack(into: dir) + "/keyward"
        }
        let (server, url, admin) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), binary: binary)
        defer { server.stop(); dir.remove() }
        let bin = dir.file("bin"), checkout = dir.file("checkout"), cache = dir.file("cache"), tmp = dir.file("tmp")
        for d in [bin, checkout, cache, tmp, dir.file("home")] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(atPath: bin + "/keyward", withDestinationPath: binary)
        // The scan and import find the suite's compiled rules where they look by default.
        try FileManager.default.createSymbolicLink(atPath: cache + "/keyward", withDestinationPath: KeywardBinary.ruleCache)
        let env = ["PATH": "\(bin):/usr/local/bin:/usr/bin:/bin", "HOME": dir.file("home"), "XDG_CACHE_HOME": cache, "XDG_CONFIG_HOME": dir.file("config"),
                   "TMPDIR": tmp, "KEYWARD_ADDR": url, "KEYWARD_TOKEN": try #require(admin), "KEYWARD_DATA_DIR": dir.file("data"), "LANG": "C.UTF-8"]
        await KeywardBinary.warmRuleCache()
        let script = "set -euo pipefail\n" + (try Self.tourScript())
        let r = try await ProcessRunner.run("/bin/bash", ["-c", script], environment: env, currentDirectory: checkout)
        #expect(r.status == 0, "the tour stopped: \(r.stderr.suffix(2_000))")

        let out = r.stdout
        // Step 4 and 5: the old version is rotated, then every version revoked; the refusals exit as documented.
        #expect(out.contains("rotated") && out.contains("revoked"))
        #expect(out.components(separatedBy: "exit 1").count - 1 >= 4, "verify refusals and the scan's findings exit 1")
        #expect(out.components(separatedBy: "exit 2").count - 1 == 3, "the three policy and argument refusals exit 2")
        #expect(r.stderr.contains("rule scopes.outside_allowed") && r.stderr.contains("rule lifetime.exceeds_maximum"))
        #expect(r.stderr.contains("a lifetime of 365 days exceeds the maximum for live keys, 90 days"))
        #expect(r.stderr.contains("--identity must be an identity id (idn_…); to find it by name: keyward identities list --name payments-api"))
        #expect(out.contains("audit chain ok") || out.contains("ok"))
        // The leak loop: matched, revoked before the scan exited, the incident shown; the import kept its tag only.
        #expect(r.stderr.contains("was matched; action revoke"))
        #expect(out.contains("TIME TO CONTAIN") && out.contains("stripe"))
        #expect(out.contains("not_notified") || out.contains("no one"))
        // Nothing in the checkout: no repository, no .env, no checkpoint.
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkout).isEmpty)
    }
}
