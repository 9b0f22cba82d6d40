import Foundation
import KeywardCore
import Synchronization

extension AccessTokenID {
    private static let issued = Atomic<UInt16>(0)

    /// A new token id whose high 48 bits are the issue time in milliseconds, then a 16-bit
    /// per-process counter and 64 random bits (still `atk_` and 32 hex digits). Ids issued
    /// together sort together, so the group commit's inserts into `oauth_tokens`' primary key
    /// land on the same few pages instead of a random page each; the random half keeps ids from
    /// different nodes apart and unguessable. (A token's id is in its `jti`, beside its `iat`.)
    package static func ordered(at now: Date) -> AccessTokenID {
        var rng = SystemRandomNumberGenerator()
        let ms = UInt128(UInt64(max(0, now.timeIntervalSince1970 * 1_000)) & 0xFFFF_FFFF_FFFF)
        let counter = UInt128(issued.wrappingAdd(1, ordering: .relaxed).newValue)
        return AccessTokenID(raw: ms << 80 | counter << 64 | UInt128(rng.next() as UInt64))
    }
}
