/// How sure a finding is (scripts/check_rules.py, "How a finding is made", step 6): a rule
/// declares it (default high); a checksum may lower it (a JWT with alg "none"); a generic rule's
/// finding is low unless its secret is clearly random. The report leaves low out by default.
package enum Confidence: String, Codable, Sendable, CaseIterable, Comparable {
    case low, medium, high

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        }
    }

    package static func < (a: Confidence, b: Confidence) -> Bool { a.rank < b.rank }

    /// A generic rule's secret that is clearly random: at least 16 bytes, entropy ≥ 3.5 bits per
    /// byte and three of the classes lower, upper, digit, other; or at least 24 bytes, entropy
    /// ≥ 3.3 and two classes (`looks_random` in check_rules.py).
    static func looksRandom(_ secret: [UInt8], entropy: Double) -> Bool {
        var lower = false, upper = false, digit = false, other = false
        for b in secret {
            switch b {
            case 0x61...0x7A: lower = true
            case 0x41...0x5A: upper = true
            case 0x30...0x39: digit = true
            default: other = true
            }
        }
        let classes = [lower, upper, digit, other].filter { $0 }.count
        return (secret.count >= 16 && entropy >= 3.5 && classes >= 3) || (secret.count >= 24 && entropy >= 3.3 && classes >= 2)
    }
}
