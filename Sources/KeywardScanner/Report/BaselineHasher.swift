import Crypto
import Foundation
import KeywardCore
import Synchronization
import _CryptoExtras

/// The secret hash of a baseline entry: scrypt under the baseline's salt for low-entropy
/// secrets, HMAC-SHA256 keyed by the salt for high-entropy formats (see `Baseline`).
/// Thread-safe; each distinct secret is hashed once per run (cached by its fingerprint).
package final class BaselineHasher: Sendable {
    package struct Parameters: Codable, Sendable, Equatable {
        package var name: String
        /// scrypt's cost N (a power of two), block size r and parallelism p.
        package var n: Int
        package var r: Int
        package var p: Int
        package init(name: String, n: Int, r: Int, p: Int) {
            self.name = name
            self.n = n
            self.r = r
            self.p = p
        }
        /// N = 2^14, r = 8: 16 MiB and tens of milliseconds per guess. Above it a scan that
        /// writes a baseline of hundreds of passwords slows down more than a guesser does.
        package static let standard = Parameters(name: "scrypt", n: 1 << 14, r: 8, p: 1)
    }

    package let salt: [UInt8]
    package let parameters: Parameters
    private let cache = Mutex<[String: String]>([:])

    package init(salt: [UInt8], parameters: Parameters = .standard) throws {
        guard salt.count >= 16 else { throw ScanError.baseline("the baseline salt must be at least 16 bytes") }
        // A hostile baseline must not make every scan allocate gigabytes or run for minutes,
        // nor be so cheap that it no longer slows a guesser.
        guard parameters.name == "scrypt", parameters.n.nonzeroBitCount == 1, (1 << 10...1 << 20).contains(parameters.n),
              (1...16).contains(parameters.r), (1...4).contains(parameters.p), parameters.n * parameters.r * parameters.p <= 1 << 22 else {
            throw ScanError.baseline("unsupported kdf parameters (scrypt with N a power of two from 2^10 to 2^20, r 1–16, p 1–4, N·r·p ≤ 2^22)")
        }
        self.salt = salt
        self.parameters = parameters
    }

    /// A new baseline's hasher: 16 random bytes of salt.
    package static func random() -> BaselineHasher {
        var rng = SystemRandomNumberGenerator()
        return try! BaselineHasher(salt: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    package var saltHex: String { Hex.encode(salt) }

    package func hash(_ secret: [UInt8], highEntropy: Bool, fingerprint: String) -> String {
        let cacheKey = (highEntropy ? "h:" : "l:") + fingerprint
        if let hit = cache.withLock({ $0[cacheKey] }) { return hit }
        let value: String
        if highEntropy {
            value = "hmac-sha256:" + Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: secret, using: SymmetricKey(data: salt))))
        } else {
            let key = try? KDF.Scrypt.deriveKey(from: secret, salt: salt, outputByteCount: 32, rounds: parameters.n,
                                                blockSize: parameters.r, parallelism: parameters.p)
            // The parameters were checked at init; a failure here is out of memory: match nothing.
            value = key.map { k in "scrypt:" + k.withUnsafeBytes { Hex.encode(Array($0)) } } ?? "scrypt:unavailable"
        }
        cache.withLock { $0[cacheKey] = value }
        return value
    }
}
