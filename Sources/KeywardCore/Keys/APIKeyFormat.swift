/// The public key format of DESIGN.md: `kw_<env>_<32 base62><6 base62 CRC-32>`.
package enum APIKeyFormat {
    package static let randomLength = 32
    package static let checksumLength = 6
    /// `kw_live_` / `kw_test_` are both 8 bytes.
    package static let tagLength = 8
    package static let totalLength = tagLength + randomLength + checksumLength

    private static let liveTag: [UInt8] = Array("kw_live_".utf8)
    private static let testTag: [UInt8] = Array("kw_test_".utf8)

    package enum ParseResult: Equatable, Sendable {
        case wellFormed(KeyEnvironment)
        case malformed
    }

    /// Decides shape and checksum with no store lookup. No normalisation of any kind: a
    /// trailing space, a changed case or a Unicode look-alike makes the key malformed.
    package static func parse(_ candidate: String) -> ParseResult {
        var s = candidate
        return s.withUTF8 { parse(bytes: $0) }
    }

    package static func parse(bytes: UnsafeBufferPointer<UInt8>) -> ParseResult {
        guard bytes.count == totalLength else { return .malformed }
        let env: KeyEnvironment
        if bytes.prefix(tagLength).elementsEqual(liveTag) {
            env = .live
        } else if bytes.prefix(tagLength).elementsEqual(testTag) {
            env = .test
        } else {
            return .malformed
        }
        // Every byte of random and checksum is examined, valid or not, with table loads only.
        guard Base62.allValid(bytes[tagLength...]) else { return .malformed }
        // DESIGN.md: CRC-32 of the ASCII bytes of `kw_<env>_<random>`, base62, MSD first, 6 chars.
        var check: UInt64 = 0
        for b in bytes[(tagLength + randomLength)...] { check = check * 62 + UInt64(Base62.values[Int(b)]) }
        guard check <= UInt64(UInt32.max) else { return .malformed }
        let crc = CRC32.checksum(bytes[0..<(tagLength + randomLength)])
        return UInt32(check) == crc ? .wellFormed(env) : .malformed
    }

    /// A new key for `environment`, ~190 bits from the system CSPRNG.
    package static func generate(environment: KeyEnvironment) -> Secret {
        var rng = SystemRandomNumberGenerator()
        return generate(environment: environment, using: &rng)
    }

    package static func generate<G: RandomNumberGenerator>(environment: KeyEnvironment, using rng: inout G) -> Secret {
        var bytes = environment == .live ? liveTag : testTag
        bytes += Base62.random(count: randomLength, using: &rng)
        return Secret(bytes: withChecksum(bytes))
    }

    /// Appends the 6-character checksum to `kw_<env>_<random>`.
    package static func withChecksum(_ body: [UInt8]) -> [UInt8] {
        body + Base62.encode(CRC32.checksum(body), width: checksumLength)
    }
}
