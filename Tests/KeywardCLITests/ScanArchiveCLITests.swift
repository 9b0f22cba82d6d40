import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `keyward scan` on archives and container images through the built binary (issue 16).
@Suite("keyward scan on archives and images", .serialized)
struct ScanArchiveCLITests {
    func findings(_ r: ProcessResult) -> [[String: Any]] {
        ((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any])?["findings"] as? [[String: Any]] ?? []
    }

    @Test("a secret in a zip is found with its path inside; --no-archives scans the zip as one binary file")
    func zipAndOff() async throws {
        let dir = try TempDirectory("keyward-scan-zip")
        defer { dir.remove() }
        let kw = ScanCLITests.keywardKey()
        try ArchiveFixtures.write(.zip([("WEB-INF/lib/app.jar", .zip([("config/app.properties", .text("name=app\napi.key=\(kw)\n"))]))]),
                                  to: dir.file("tree/site.war"))
        let r = try await ScanCLITests.scan([dir.file("tree"), "--format", "json"], in: dir)
        #expect(r.status == 1, "\(r.stderr)")
        let f = findings(r)
        #expect(f.count == 1)
        #expect(f.first?["path"] as? String == dir.file("tree/site.war") + "!WEB-INF/lib/app.jar!config/app.properties")
        #expect(f.first?["line"] as? Int == 2)
        #expect(!r.stdout.contains(kw) && !r.stderr.contains(kw))
        let off = try await ScanCLITests.scan([dir.file("tree"), "--no-archives"], in: dir)
        #expect(off.status == 0, "\(off.stderr)")
        let shallow = try await ScanCLITests.scan([dir.file("tree"), "--archive-depth", "1"], in: dir)
        #expect(shallow.status == 0, "\(shallow.stderr)")
        #expect(shallow.stderr.contains("site.war!WEB-INF/lib/app.jar: an archive nested more than 1 deep; not expanded (--archive-depth)"), "\(shallow.stderr)")
    }

    @Test("bad archive flags exit 2 with a message", arguments: [["--archive-depth", "0"], ["--archive-depth", "11"], ["--archive-depth", "two"],
                                                             ["--no-archives", "--archive-depth", "2"]])
    func badFlags(_ args: [String]) async throws {
        let dir = try TempDirectory("keyward-scan-archive-flags")
        defer { dir.remove() }
        try ScanCLITests.write(dir.file("a.txt"), "x\n")
        let r = try await ScanCLITests.scan([dir.file("a.txt")] + args, in: dir)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("archive-depth"), "\(r.stderr)")
    }

    @Test("a corrupt archive is a warning: exit 0 alone, and the rest of the scan still reports its findings")
    func corrupt() async throws {
        let dir = try TempDirectory("keyward-scan-corrupt")
        defer { dir.remove() }
        try ArchiveFixtures.write(.tar([("a.txt", .text(String(repeating: "line of text\n", count: 200)))], compression: "gz"), to: dir.file("tree/a.tgz"))
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir.file("tree/a.tgz")))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: dir.file("tree/a.tgz")))
        let clean = try await ScanCLITests.scan([dir.file("tree")], in: dir)
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stderr.contains("a.tgz"), "\(clean.stderr)")
        let gh = ScanCLITests.githubToken()
        try ScanCLITests.write(dir.file("tree/z.env"), "GITHUB_TOKEN=\(gh)\n")
        let r = try await ScanCLITests.scan([dir.file("tree")], in: dir)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("z.env"))
    }

    @Test("a zip bomb is stopped with a warning in bounded memory and time")
    func bomb() async throws {
        let dir = try TempDirectory("keyward-scan-bomb")
        defer { dir.remove() }
        try ArchiveFixtures.zipBomb(to: dir.file("bomb.zip"), megabytes: 1024)
        try ScanCLITests.write(dir.file("small/a.txt"), "x\n")
        let cache = dir.file("rule-cache")
        let scan = { (args: [String]) in
            try await KeywardBinary.runMeasuringPeakRSS(["scan", "--cache-dir", cache] + args, env: ScanCLITests.env(dir))
        }
        _ = try await scan([dir.file("small")])
        let small = try await scan([dir.file("small")])
        let r = try await scan([dir.file("bomb.zip")])
        #expect(r.status == 0, "\(r.stderr)")
        // The ratio guard or the per-entry cap, whichever the archive reaches first: never the whole GiB.
        #expect(r.stderr.contains("bomb.zip: expands more than 100 times its size (a likely archive bomb)")
                || r.stderr.contains("bomb.zip!payload.txt: larger than 256 MiB; only its start was scanned"), "\(r.stderr)")
        #expect(r.maxRSSKiB - small.maxRSSKiB < 96 * 1024, "peak RSS \(r.maxRSSKiB) KiB vs \(small.maxRSSKiB) KiB for a tiny file")
    }

    @Test("an archive committed and deleted in git history is expanded; the finding names the commit")
    func gitHistory() async throws {
        let repo = try await ScanGitTests.Repo()
        defer { repo.dir.remove() }
        let kw = ScanCLITests.keywardKey()
        try ArchiveFixtures.write(.tar([("deploy/.env", .text("KEYWARD_KEY=\(kw)\n"))], compression: "gz"), to: repo.path + "/deploy.tgz")
        try await repo.git("add", "-A")
        try await repo.git("commit", "-q", "-m", "bundle")
        let first = try await repo.head()
        try await repo.git("rm", "-q", "deploy.tgz")
        try await repo.git("commit", "-q", "-m", "remove bundle")
        let r = try await ScanCLITests.scan(["--git", repo.path, "--format", "json"], in: repo.dir)
        #expect(r.status == 1, "\(r.stderr)")
        let f = findings(r)
        #expect(f.map { $0["path"] as? String } == ["deploy.tgz!deploy/.env"])
        #expect(f.first?["commit"] as? String == first)
    }

    @Test("a docker save tarball: the deleted secret of a lower layer, Config.Env and history are reported", arguments: [ArchiveFixtures.ImageLayout.dockerLegacy, .dockerOCI])
    func image(_ layout: ArchiveFixtures.ImageLayout) async throws {
        let dir = try TempDirectory("keyward-scan-image")
        defer { dir.remove() }
        let a = ScanCLITests.keywardKey(), b = ScanCLITests.githubToken()
        try ArchiveFixtures.image(layout, to: dir.file("app.tar"), layers: [.init(files: ["etc/app.env": "KEYWARD_KEY=\(a)\n"]), .init(deleted: ["etc/app.env"])],
                                  env: ["GITHUB_TOKEN=\(b)"], history: ["/bin/sh -c rm /etc/app.env"])
        let r = try await ScanCLITests.scan([dir.file("app.tar"), "--format", "json"], in: dir)
        #expect(r.status == 1, "\(r.stderr)")
        let paths = findings(r).compactMap { $0["path"] as? String }.map { $0.replacingOccurrences(of: #"sha256:[0-9a-f]{64}"#, with: "sha256:D", options: .regularExpression) }
        #expect(paths.sorted() == [dir.file("app.tar") + "!config sha256:D!Env", dir.file("app.tar") + "!layer sha256:D!/etc/app.env"], "\(paths)")
        let off = try await ScanCLITests.scan([dir.file("app.tar"), "--no-archives"], in: dir)
        #expect(off.status == 0, "\(off.stderr)")
    }
}
