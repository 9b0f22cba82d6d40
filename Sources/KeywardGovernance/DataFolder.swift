import Crypto
import Foundation
import KeywardCore
import KeywardStore

/// Where a Keyward store and its keys live: a data folder (SQLite store, HMAC key, audit signing
/// key), or a database URL with key files. `keyward serve`, `admin recover`, `audit verify` and
/// the benchmarks' seeding all open a store through this, so they read the same files.
package struct StoreLocation: Sendable {
    /// Data folder: SQLite store, HMAC key, audit signing key. Default `./keyward-data`.
    package var dataDirectory: String = "keyward-data"
    /// `postgres://…` or `sqlite:PATH`; nil uses SQLite in the data folder.
    package var databaseURL: String?
    /// HMAC key file (≥ 32 bytes); default `<data>/hmac.key`, generated on first start (0600).
    package var hmacKeyFile: String?
    /// Ed25519 audit signing key file; default `<data>/audit-signing.key`, generated (0600).
    package var auditSigningKeyFile: String?

    package init(dataDirectory: String = "keyward-data", databaseURL: String? = nil, hmacKeyFile: String? = nil, auditSigningKeyFile: String? = nil) {
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.hmacKeyFile = hmacKeyFile
        self.auditSigningKeyFile = auditSigningKeyFile
    }

    package var storeConfiguration: StoreConfiguration {
        get throws {
            if let url = databaseURL { return try StoreConfiguration.parse(databaseURL: url) }
            return .sqlite(dataDirectory: dataDirectory)
        }
    }

    /// Whether anything (the store or a key file) lives in the data folder.
    package var usesDataFolder: Bool { databaseURL == nil || hmacKeyFile == nil || auditSigningKeyFile == nil }

    package var hmacKeyPath: String { hmacKeyFile ?? (dataDirectory as NSString).appendingPathComponent("hmac.key") }
    package var auditSigningKeyPath: String { auditSigningKeyFile ?? (dataDirectory as NSString).appendingPathComponent("audit-signing.key") }

    /// The HMAC fingerprint key; generated when absent only if `create` and it is the data folder's own.
    package func hmacKey(create: Bool) throws -> FingerprintKey {
        try FingerprintKey(bytes: DataFolder.loadOrCreateKey(at: hmacKeyPath, create: create && hmacKeyFile == nil, generate: FingerprintKey.generate))
    }
}

/// The data folder's key and store files: created 0700/0600 on first start, refused if readable by others.
package enum DataFolder {
    package static func prepare(_ path: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw KeywardError(.validation, "the data folder path is a file") }
        } else {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// Reads a key file, or creates it with `generate()` (mode 0600) when absent and `create` is set.
    package static func loadOrCreateKey(at path: String, create: Bool, generate: () -> [UInt8]) throws -> [UInt8] {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            try refuseShared(path, kind: "key file")
            guard let data = fm.contents(atPath: path), !data.isEmpty else {
                throw KeywardError(.validation, "key file \(path) is empty or unreadable")
            }
            return Array(data)
        }
        guard create else { throw KeywardError(.validation, "key file \(path) does not exist") }
        let bytes = generate()
        // Create with 0600 from the start: no window in which the key is world-readable.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw KeywardError(.validation, "cannot create key file \(path)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw KeywardError(.validation, "cannot write key file \(path)") }
        return bytes
    }

    /// Refuses a SQLite store whose file, WAL or shared-memory file others may read (case 57 of docs/security-cases.md:
    /// the digests, fingerprints and audit chain are for this server only). The store creates
    /// them 0600; this catches a file copied in, restored from a backup or chmod-ed since.
    package static func checkStoreFiles(_ store: StoreConfiguration) throws {
        guard case .sqlite(let path) = store.backend else { return }
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] where FileManager.default.fileExists(atPath: file) {
            try refuseShared(file, kind: "store file")
        }
    }

    /// Throws when group or others have any access to `path` (the same rule for key and store files).
    private static func refuseShared(_ path: String, kind: String) throws {
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        if let perms = attrs[.posixPermissions] as? NSNumber, perms.intValue & 0o077 != 0 {
            throw KeywardError(.validation, "\(kind) \(path) is readable by group or others (mode \(String(perms.intValue & 0o777, radix: 8))); chmod 600 it")
        }
    }

    package static func auditSigningKey(at path: String, create: Bool) throws -> Curve25519.Signing.PrivateKey {
        let raw = try loadOrCreateKey(at: path, create: create) {
            Array(Curve25519.Signing.PrivateKey().rawRepresentation)
        }
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: raw) } catch {
            throw KeywardError(.validation, "audit signing key \(path) is not a 32-byte Ed25519 key")
        }
    }
}
