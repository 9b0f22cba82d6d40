import Foundation

/// A reproducible random source for tests. The seed comes from `KEYWARD_TEST_SEED` when set,
/// else at random, and is printed when the generator is made, so the output of a failed run
/// names the seed that replays it (`KEYWARD_TEST_SEED=<seed> swift test --filter …`).
/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and good enough for test data.
// Written here: the Swift standard library has no seedable generator.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    package let seed: UInt64
    private var state: UInt64

    package init(_ label: String = #function, seed: UInt64? = nil) {
        let chosen = seed ?? ProcessInfo.processInfo.environment["KEYWARD_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        self.seed = chosen
        state = chosen
        print("\(label): random seed \(chosen) (KEYWARD_TEST_SEED=\(chosen) replays it)")
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for one of several concurrent tasks: its own stream, derived from this seed.
    package func fork(_ index: Int) -> SeededRandom {
        var child = self
        child.state = seed &+ UInt64(index + 1) &* 0xD1B5_4A32_D192_ED03
        return child
    }
}
