import Crypto
import Foundation
import KeywardCore

/// The data folder's key files: created 0700/0600 on first start, refused if readable by others.
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
            let attrs = try fm.attributesOfItem(atPath: path)
            if let perms = attrs[.posixPermissions] as? NSNumber, perms.intValue & 0o077 != 0 {
                throw KeywardError(.validation, "key file \(path) is readable by group or others; chmod 600 it")
            }
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

    package static func hmacKey(config: ServerConfiguration) throws -> FingerprintKey {
        let path = config.hmacKeyFile ?? (config.dataDirectory as NSString).appendingPathComponent("hmac.key")
        return try FingerprintKey(bytes: loadOrCreateKey(at: path, create: config.hmacKeyFile == nil, generate: FingerprintKey.generate))
    }

    package static func auditSigningKeyPath(config: ServerConfiguration) -> String {
        config.auditSigningKeyFile ?? (config.dataDirectory as NSString).appendingPathComponent("audit-signing.key")
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
