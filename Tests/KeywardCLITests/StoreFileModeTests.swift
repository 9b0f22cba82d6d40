import Foundation
import KeywardTesting
import Testing

// case 57 of docs/security-cases.md (issue 10 item 6): the store holds digests, fingerprints and the audit chain;
// its files are private to the server's user whatever the folder's mode.
@Suite("Store file modes", .serialized)
struct StoreFileModeTests {
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions].map { ($0 as! NSNumber).intValue & 0o777 }
    }

    /// Creates an identity, issues, rotates and revokes a key through the CLI.
    static func someWrites(url: String, token: String) async throws {
        let env = ["KEYWARD_ADDR": url, "KEYWARD_TOKEN": token]
        let idn = try await KeywardBinary.run(["identities", "create", "--name", "svc", "--kind", "service", "--environment", "prod",
                                         "--technical-owner", "ops", "--purpose", "p", "--allowed-scope", "a:read", "--json"], env: env)
        let idnID = try #require((try JSONSerialization.jsonObject(with: Data(idn.stdout.utf8)) as? [String: Any])?["id"] as? String)
        let key = try await KeywardBinary.run(["keys", "create", "--identity", idnID, "--scope", "a:read", "--json"], env: env)
        let keyID = try #require((try JSONSerialization.jsonObject(with: Data(key.stdout.utf8)) as? [String: Any])?["id"] as? String)
        #expect(try await KeywardBinary.run(["keys", "rotate", keyID, "--grace", "0"], env: env).status == 0)
        #expect(try await KeywardBinary.run(["keys", "revoke", keyID, "--reason", "mode test"], env: env).status == 0)
    }

    /// `keyward serve` expected to refuse to start; ended after 60 s (exit 124) if it starts after all.
    static func serveBounded(_ data: String) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/timeout", ["60", KeywardBinary.path(), "serve", "--data-dir", data, "--port", "0"])
    }

    /// Every file in `folder` with a mode other than 0600, as "name mode".
    static func notPrivate(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().compactMap { name in
            let m = mode((folder as NSString).appendingPathComponent(name))
            return m == 0o600 ? nil : "\(name) \(String(m ?? -1, radix: 8))"
        }
    }

    @Test("a data folder made 0755 beforehand: the store, its WAL and shared memory, and the key files are 0600, running and stopped")
    func dataFolder0755() async throws {
        let dir = try TempDirectory("keyward-modes")
        defer { dir.remove() }
        let data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: data)
        defer { p.stop() }
        try await Self.someWrites(url: url, token: try #require(key))
        for name in ["keyward.sqlite", "keyward.sqlite-wal", "keyward.sqlite-shm", "hmac.key", "audit-signing.key"] {
            #expect(Self.mode(data + "/" + name) == 0o600, "\(name) while the server runs")
        }
        #expect(Self.notPrivate(in: data) == [])
        #expect(p.stop(SIGTERM) == 0)
        #expect(Self.notPrivate(in: data) == [])
        #expect(Self.mode(data) == 0o755) // the operator's folder is left as it was
    }

    @Test("--database sqlite:PATH in a 0755 folder: the store, its WAL and shared memory are 0600")
    func sqlitePath0755() async throws {
        let dir = try TempDirectory("keyward-modes")
        defer { dir.remove() }
        let db = dir.file("db")
        try FileManager.default.createDirectory(atPath: db, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let (p, url, key) = try await KeywardBinary.serve(dataDirectory: dir.file("data"), extraArgs: ["--database", "sqlite:\(db)/store.db"])
        defer { p.stop() }
        try await Self.someWrites(url: url, token: try #require(key))
        for name in ["store.db", "store.db-wal", "store.db-shm"] {
            #expect(Self.mode(db + "/" + name) == 0o600, "\(name) while the server runs")
        }
        #expect(p.stop(SIGTERM) == 0)
        #expect(Self.notPrivate(in: db) == [])
    }

    @Test("a store file others can read: serve exits 2 naming the file and chmod 600")
    func refusesReadableStore() async throws {
        let dir = try TempDirectory("keyward-modes")
        defer { dir.remove() }
        let data = dir.file("data")
        let (p, _, _) = try await KeywardBinary.serve(dataDirectory: data)
        #expect(p.stop(SIGTERM) == 0)
        let file = data + "/keyward.sqlite"
        #expect(chmod(file, 0o644) == 0)
        let refused = try await Self.serveBounded(data)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(file))
        #expect(refused.stderr.contains("chmod 600"))
        #expect(Self.mode(file) == 0o644) // refused, not silently changed

        // The same for a WAL left behind (copied in with a backup, say).
        #expect(chmod(file, 0o600) == 0)
        #expect(FileManager.default.createFile(atPath: file + "-wal", contents: Data(), attributes: [.posixPermissions: 0o640]))
        let wal = try await Self.serveBounded(data)
        #expect(wal.status == 2)
        #expect(wal.stderr.contains(file + "-wal"))
    }
}
