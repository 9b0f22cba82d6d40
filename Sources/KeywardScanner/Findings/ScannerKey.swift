import Crypto
import Foundation
import KeywardCore

/// The scanner's HMAC key (DESIGN.md): fingerprints in findings, SARIF and baselines are
/// HMAC-SHA256 under it, so a password never appears as a bare, brute-forceable hash.
package struct ScannerKey: Sendable {
    private let bytes: [UInt8]

    package init(bytes: [UInt8]) throws {
        guard bytes.count >= 32 else { throw ScanError.input("the fingerprint key must be at least 32 bytes") }
        self.bytes = bytes
    }

    /// `--fingerprint-key-file`, else `$XDG_CONFIG_HOME/keyward/fingerprint.key` (or
    /// `~/.config/keyward/fingerprint.key`), generated once with mode 0600.
    package static func load(path: String?, environment: [String: String]) throws -> ScannerKey {
        let file: String
        if let path {
            file = path
        } else {
            let base = environment["XDG_CONFIG_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.config")
            file = base + "/keyward/fingerprint.key"
        }
        if let data = FileManager.default.contents(atPath: file) { return try ScannerKey(bytes: Array(data)) }
        guard path == nil else { throw ScanError.input("cannot read the fingerprint key file \(file)") }
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd >= 0 {
            _ = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            return try ScannerKey(bytes: key)
        }
        // Another process created it first.
        guard let data = FileManager.default.contents(atPath: file) else { throw ScanError.input("cannot create \(file)") }
        return try ScannerKey(bytes: Array(data))
    }

    package func fingerprint(_ secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: secret, using: SymmetricKey(data: bytes))
        return "hmac-sha256:" + Hex.encode(Array(mac).prefix(16))
    }

    package static func sha256(_ secret: [UInt8]) -> String {
        Hex.encode(Array(SHA256.hash(data: secret)))
    }
}
