import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// Issue 10 item 8: a file name, a reported URL or any value stored on the server cannot drive
/// the reader's terminal (clear the screen, set the title, reorder text with a bidi override).
/// Every human-readable output shows such characters as visible escapes; JSON keeps them as data.
@Suite("terminal escape injection (CLI)", .serialized)
struct TerminalEscapeCLITests {
    /// Clear screen, set the window title, ring the bell, then a right-to-left override.
    static let hostile = "\u{1B}[2J\u{1B}]0;pwned\u{07}\u{202E}"
    static let shown = "\\x1b[2J\\x1b]0;pwned\\x07\\u{202E}"

    static func expectInert(_ r: ProcessResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 0, "\(what): \(r.stderr)", sourceLocation: sourceLocation)
        for out in [r.stdout, r.stderr] {
            #expect(!out.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" }, "\(what) printed a raw control",
                    sourceLocation: sourceLocation)
        }
        #expect(r.stdout.contains(shown), "\(what) lacks the escaped value:\n\(r.stdout)", sourceLocation: sourceLocation)
    }

    @Test("scan: a file name holding ESC[2J and a bidi override is printed escaped; JSON keeps it as data")
    func scanFileName() async throws {
        let dir = try TempDirectory("keyward-escape")
        defer { dir.remove() }
        try ScanCLITests.write(dir.file("repo/\(Self.hostile)invoice.env"), "TOKEN=\(ScanCLITests.githubToken())\n")
        let text = try await ScanCLITests.scan([dir.file("repo")], in: dir)
        #expect(text.status == 1, "\(text.stderr)")
        for out in [text.stdout, text.stderr] {
            #expect(!out.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" })
        }
        #expect(text.stdout.contains("repo/\(Self.shown)invoice.env:1:"), "\(text.stdout)")

        let json = try await ScanCLITests.scan([dir.file("repo"), "--format", "json"], in: dir)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let path = ((doc?["findings"] as? [[String: Any]])?.first?["path"] as? String) ?? ""
        #expect(path.hasSuffix("/\(Self.hostile)invoice.env"), "JSON holds the real name")
        #expect(!json.stdout.contains("\u{1B}"), "JSON escapes control characters itself")
    }

    @Test("incidents show, identities, keys show and blast radius print stored values escaped, tables included")
    func serverValues() async throws {
        let e = try await CLITourTests.start()
        defer { e.server.stop(); e.dir.remove() }
        let idn = try #require(try await e.json("identities", "create", "--name", "orders", "--kind", "service", "--environment", "production",
                                          "--technical-owner", "owner-MARK", "--purpose", "p", "--allowed-scope", "orders:read")["id"] as? String)
        let issued = try await e.json("keys", "create", "--identity", idn, "--scope", "orders:read", "--ttl", "1d", "--name", "name-MARK")
        let keyID = try #require(issued["id"] as? String)
        let key = try #require(issued["key"] as? String)
        let report = try await e.kw("exposures", "report", "--source", "paste", "--url", "https://paste.example/url-MARK",
                              "--sha256", SecretDigest(hashing: key.utf8).hex)
        #expect(report.status == 0, "\(report.stderr)")
        let incident = try #require((try await e.json("incidents", "list")["items"] as? [[String: Any]])?.first?["id"] as? String)

        // The values are planted in the store, so the test holds whatever the server refuses at
        // intake: the CLI must not trust what a server (or an older one's data) hands it.
        let db = e.dir.file("data") + "/keyward.sqlite"
        let json = Self.hostile.unicodeScalars.map { $0.value < 0x80 && $0.value >= 0x20 ? String($0) : String(format: "\\u%04x", $0.value) }.joined()
        let sqlText = "char(" + Self.hostile.unicodeScalars.map { String($0.value) }.joined(separator: ",") + ")"
        let edit = try await ProcessRunner.run("/usr/bin/sqlite3", [db, """
            UPDATE incidents SET events = replace(events, 'url-MARK', '\(json)');
            UPDATE identities SET technical_owner = replace(technical_owner, 'MARK', \(sqlText));
            UPDATE api_keys SET name = replace(name, 'MARK', \(sqlText));
            """])
        #expect(edit.status == 0, "\(edit.stderr)")

        Self.expectInert(try await e.kw("incidents", "show", incident), "incidents show")
        Self.expectInert(try await e.kw("identities", "list"), "identities list (table)")
        Self.expectInert(try await e.kw("identities", "show", idn), "identities show")
        Self.expectInert(try await e.kw("keys", "show", keyID), "keys show")
        Self.expectInert(try await e.kw("keys", "blast-radius", keyID), "keys blast-radius")
        // The wire JSON is data: the real value, escaped by JSON itself.
        let raw = try await e.kw("identities", "show", idn, "--json")
        #expect(raw.stdout.contains("\\u001b[2J") && !raw.stdout.contains("\u{1B}"))
    }

    @Test("an error message naming a file shows it escaped on standard error")
    func errorMessage() async throws {
        let r = try await KeywardBinary.run(["import", "dotenv", "/nonexistent/\(Self.hostile).env", "--identity", "idn_" + String(repeating: "0", count: 32), "--dry-run"])
        #expect(r.status == 2)
        #expect(!r.stderr.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
        #expect(r.stderr.contains("/nonexistent/\(Self.shown).env"), "\(r.stderr)")
    }
}
