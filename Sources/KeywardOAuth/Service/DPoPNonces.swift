import Foundation
import KeywardCore

/// RFC 9449 §8 server nonces that need no shared state beyond the server's HMAC key: a nonce
/// names a 5-minute window and carries its HMAC, so any node with the same key accepts it, and
/// the current and the previous window are accepted (a nonce lives 5 to 10 minutes).
package struct DPoPNonces: Sendable {
    let key: FingerprintKey
    static let window: Int64 = 300

    package init(key: FingerprintKey) { self.key = key }

    package func current(now: Date) -> String { nonce(window: Self.windowIndex(now)) }

    package func isValid(_ nonce: String, now: Date) -> Bool {
        let w = Self.windowIndex(now)
        let presented = Array(nonce.utf8)
        return [w, w - 1].contains { ConstantTime.equal(Array(self.nonce(window: $0).utf8), presented) }
    }

    private func nonce(window: Int64) -> String {
        "\(window)." + key.fingerprint(value: "dpop-nonce:\(window)").hex.prefix(32)
    }

    private static func windowIndex(_ now: Date) -> Int64 { Int64(now.timeIntervalSince1970) / window }
}
