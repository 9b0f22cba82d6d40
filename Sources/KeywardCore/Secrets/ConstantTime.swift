/// Byte comparison whose time depends only on the lengths, never on where the first
/// difference is (case 56 of docs/security-cases.md). swift-crypto offers this only for its digest types;
/// hashing both sides first would cost more than the lookup it guards.
package enum ConstantTime {
    package static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
