import Foundation
import KeywardScanner
import KeywardTesting
import Testing

/// The compiled-rule cache does not grow without bound: each repository config with custom
/// rules adds an entry, and the least recently used beyond the limit go when one is written.
@Suite("rule cache pruning")
struct RuleCachePruneTests {
    @Test("writing an entry keeps the most recently used ones, the new one among them, and removes the rest; other files stay")
    func prunes() throws {
        let dir = try TempDirectory("keyward-cache-prune")
        defer { dir.remove() }
        let fm = FileManager.default
        let old = Date(timeIntervalSinceNow: -86_400)
        for i in 0..<12 {
            let path = dir.file("rules-\(String(format: "%032x", i))-locate.hsdb")
            #expect(fm.createFile(atPath: path, contents: Data("stale".utf8)))
            try fm.setAttributes([.modificationDate: old.addingTimeInterval(Double(i))], ofItemAtPath: path)
        }
        #expect(fm.createFile(atPath: dir.file("fingerprint.key"), contents: Data("x".utf8)))
        let rule = try #require(try RuleSet.builtIn().rules.first { $0.id == "github.pat-classic" })
        _ = try HyperscanDatabase.cached([rule], cacheDirectory: dir.path)
        let entries = try fm.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".hsdb") }
        #expect(entries.count == HyperscanDatabase.cacheEntriesKept)
        // The newest stale ones survive; the oldest went.
        #expect(entries.contains("rules-\(String(format: "%032x", 11))-locate.hsdb"))
        #expect(!entries.contains("rules-\(String(format: "%032x", 0))-locate.hsdb"))
        #expect(fm.fileExists(atPath: dir.file("fingerprint.key")))
        // The entry just written is among those kept and loads again.
        _ = try HyperscanDatabase.cached([rule], cacheDirectory: dir.path)
        #expect(try fm.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".hsdb") }.count == HyperscanDatabase.cacheEntriesKept)
    }
}
