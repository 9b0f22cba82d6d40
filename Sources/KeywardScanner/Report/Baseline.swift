import Foundation

/// Known findings to ignore: a committed file that works on any machine and in CI, with no key
/// to share (README, "Baselines").
///
/// An entry is rule id + path + a salted hash of the secret. The salt is random per baseline
/// and stored in the file, so the same hash can be recomputed anywhere from the secret alone,
/// and no table built for one baseline serves another. Low-entropy findings (passwords) are
/// hashed with scrypt (memory-hard), so guessing a password from the file costs real work per
/// guess; high-entropy formats (random keys, which no one can guess) with HMAC-SHA256 under the
/// salt, which costs nothing to compute at scan time. No line number: moved code stays quiet;
/// a changed secret, the same secret in another file, or a renamed file comes back.
///
/// Version 1 (HMAC fingerprints under a per-machine key) is still read, with a warning: it only
/// suppresses anything on the machine that wrote it.
package struct Baseline: Sendable {
    package struct Entry: Codable, Sendable, Hashable {
        package var ruleId: String
        package var path: String
        /// Version 2: `scrypt:<hex>` or `hmac-sha256:<hex>` under the baseline's salt.
        package var secretHash: String?
        /// Version 1 only: the HMAC fingerprint under the machine's scanner key.
        package var fingerprint: String?
        enum CodingKeys: String, CodingKey { case ruleId = "rule_id", path, secretHash = "secret_hash", fingerprint }
    }

    package var version: Int
    package var hasher: BaselineHasher
    package var entries: [Entry]
    private var known: Set<Entry> = []
    private var keys: Set<String> = []

    package init(hasher: BaselineHasher, entries: [Entry], version: Int = 2) {
        self.version = version
        self.hasher = hasher
        self.entries = entries.sorted { ($0.path, $0.ruleId, $0.secretHash ?? $0.fingerprint ?? "") < ($1.path, $1.ruleId, $1.secretHash ?? $1.fingerprint ?? "") }
        known = Set(self.entries)
        keys = Set(self.entries.map { Self.key($0.ruleId, $0.path) })
    }

    /// A baseline of these findings; each needs `baselineHash` computed under `hasher`.
    package init(findings: [Finding], hasher: BaselineHasher) {
        self.init(hasher: hasher, entries: Array(Set(findings.map {
            Entry(ruleId: $0.ruleId, path: Self.normalize($0.path), secretHash: $0.baselineHash, fingerprint: nil)
        })))
    }

    private static func key(_ rule: String, _ path: String) -> String { rule + "\u{0}" + path }

    /// True when some entry names this rule and path: only then is the (slow) hash worth computing.
    package func mayContain(ruleId: String, path: String) -> Bool { keys.contains(Self.key(ruleId, Self.normalize(path))) }

    package func contains(ruleId: String, path: String, secretHash: String) -> Bool {
        known.contains(Entry(ruleId: ruleId, path: Self.normalize(path), secretHash: secretHash, fingerprint: nil))
    }

    /// Version 1: matched by the machine-local fingerprint.
    package func containsV1(ruleId: String, path: String, fingerprint: String) -> Bool {
        known.contains(Entry(ruleId: ruleId, path: path, secretHash: nil, fingerprint: fingerprint))
    }

    /// Paths as scanned from the folder the scan runs in, without a leading `./`, so
    /// `keyward scan .` and `keyward scan ./` agree; run scans from the repository root.
    package static func normalize(_ path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        return p
    }

    private struct File: Codable {
        var version: Int
        var salt: String?
        var kdf: BaselineHasher.Parameters?
        var entries: [Entry]
    }

    package static func load(_ path: String) throws -> Baseline {
        guard let data = FileManager.default.contents(atPath: path) else { throw ScanError.baseline("cannot read the baseline \(path)") }
        guard let f = try? JSONDecoder().decode(File.self, from: data) else {
            throw ScanError.baseline("\(path) is not a Keyward baseline (version 2: {version, salt, kdf, entries: [{rule_id, path, secret_hash}]})")
        }
        switch f.version {
        case 1:
            guard f.entries.allSatisfy({ $0.fingerprint != nil }) else { throw ScanError.baseline("\(path): a version 1 entry needs a fingerprint") }
            return Baseline(hasher: try BaselineHasher(salt: Array(repeating: 0, count: 16)), entries: f.entries, version: 1)
        case 2:
            guard let salt = f.salt.flatMap(Self.unhex), let kdf = f.kdf, f.entries.allSatisfy({ $0.secretHash != nil }) else {
                throw ScanError.baseline("\(path): a version 2 baseline needs a hex salt, kdf parameters and a secret_hash in every entry")
            }
            do {
                return Baseline(hasher: try BaselineHasher(salt: salt, parameters: kdf), entries: f.entries)
            } catch let e as ScanError {
                throw ScanError.baseline("\(path): \(e.description)")
            }
        default:
            throw ScanError.baseline("\(path) is a version \(f.version) baseline; this keyward reads versions 1 and 2")
        }
    }

    package func write(_ path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let file = File(version: 2, salt: hasher.saltHex, kdf: hasher.parameters, entries: entries)
        guard FileManager.default.createFile(atPath: path, contents: try enc.encode(file) + Data("\n".utf8)) else {
            throw ScanError.baseline("cannot write the baseline \(path)")
        }
    }

    static func unhex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0, !u.isEmpty else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            guard let b = UInt8(String(decoding: u[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }
}
