import Foundation
import KeywardCore
import KeywardScanner
import KeywardTesting
import Testing

/// Container images in scans (issue 16): docker save tarballs (legacy and OCI layouts) and OCI
/// layout folders, recognised by structure; every layer, the config's Env and history.
@Suite("Container images in scans")
struct ContainerImageScanTests {
    @Test("a secret deleted in an upper layer, one in Config.Env and one in history are reported with the layer and config digests", arguments: ArchiveFixtures.ImageLayout.allCases)
    func image(_ layout: ArchiveFixtures.ImageLayout) async throws {
        let dir = try TempDirectory("keyward-image")
        defer { dir.remove() }
        let inLayer = ArchiveScanTests.secret(), inEnv = ArchiveScanTests.secret(), inHistory = ArchiveScanTests.secret()
        let name = layout == .ociDirectory ? "app-oci" : "app-image.tar"
        try ArchiveFixtures.image(layout, to: dir.file(name),
                                  layers: [.init(files: ["app/.env": "KEYWARD_KEY=\(inLayer)\n", "app/run.sh": "echo hi\n"]),
                                           .init(files: ["app/README": "nothing\n"], deleted: ["app/.env"])],
                                  env: ["PATH=/usr/local/bin:/usr/bin", "KEYWARD_KEY=\(inEnv)"],
                                  history: ["/bin/sh -c #(nop) ADD file:0a1b in /", "/bin/sh -c curl -H 'Authorization: Bearer \(inHistory)' https://example.test/setup",
                                            "/bin/sh -c rm /app/.env"])
        let r = try await ArchiveScanTests.scan(dir)
        #expect(r.warnings.isEmpty, "\(r.warnings)")
        let byFingerprint = Dictionary(r.findings.map { ($0.fingerprint, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(r.findings.count == 3, "\(r.findings.map(\.path))")
        let layer = try #require(byFingerprint[ArchiveScanTests.fingerprint(inLayer)])
        let path = ArchiveScanTests.relative(layer, dir)
        #expect(path.hasPrefix(name + "!layer sha256:") && path.hasSuffix("!/app/.env") && layer.line == 1, "\(path)")
        let digest = path.dropFirst((name + "!layer sha256:").count).prefix(64)
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit), "\(path)")
        if layout == .ociDirectory {
            #expect(FileManager.default.fileExists(atPath: dir.file("\(name)/blobs/sha256/\(digest)")), "the layer's blob digest")
        }
        let env = try #require(byFingerprint[ArchiveScanTests.fingerprint(inEnv)])
        #expect(ArchiveScanTests.relative(env, dir).range(of: #"^[^!]+!config sha256:[0-9a-f]{64}!Env$"#, options: .regularExpression) != nil,
                "\(env.path)")
        #expect(env.line == 2)
        let history = try #require(byFingerprint[ArchiveScanTests.fingerprint(inHistory)])
        #expect(ArchiveScanTests.relative(history, dir).hasSuffix("!history") && history.line == 2, "\(history.path)")
    }

    @Test("a tarball with a manifest.json among ordinary files is an ordinary archive")
    func notAnImage() async throws {
        let dir = try TempDirectory("keyward-not-image")
        defer { dir.remove() }
        let s = ArchiveScanTests.secret()
        try ArchiveFixtures.write(.tar([("manifest.json", .text("[]\n")), ("src/app.env", .text("KEYWARD_KEY=\(s)\n"))]), to: dir.file("bundle.tar"))
        let r = try await ArchiveScanTests.scan(dir)
        #expect(r.findings.map { ArchiveScanTests.relative($0, dir) } == ["bundle.tar!src/app.env"])
    }

    @Test("with archives off an OCI layout folder is walked as files")
    func layoutOff() async throws {
        let dir = try TempDirectory("keyward-image-off")
        defer { dir.remove() }
        try ArchiveFixtures.image(.ociDirectory, to: dir.file("img"), layers: [.init(files: ["a": "KEYWARD_KEY=\(ArchiveScanTests.secret())\n"])],
                                  env: [], history: [])
        let r = try await ArchiveScanTests.scan(dir, options: nil)
        #expect(r.findings.isEmpty)
        #expect(r.stats.skippedBinary == 1) // the gzip'd layer
    }
}
