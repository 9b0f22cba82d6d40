import Foundation
import KeywardCore
import Testing

/// Sealed values the server reads back (case 72 of docs/security-cases.md): bound to a purpose
/// and to the row that holds them.
@Suite("sealed values")
struct SealTests {
    @Test("a value opens only for the purpose and owner it was sealed for, under the same key")
    func bound() throws {
        let key = try FingerprintKey(bytes: FingerprintKey.generate())
        let sealed = try key.seal("whsec_test-only", purpose: "webhook-secret", owner: "whk_a")
        #expect(try key.open(sealed, purpose: "webhook-secret", owner: "whk_a") == "whsec_test-only")
        #expect(throws: KeywardError.self) { try key.open(sealed, purpose: "webhook-secret", owner: "whk_b") }
        #expect(throws: KeywardError.self) { try key.open(sealed, purpose: "webhook-url", owner: "whk_a") }
        let other = try FingerprintKey(bytes: FingerprintKey.generate())
        #expect(throws: KeywardError.self) { try other.open(sealed, purpose: "webhook-secret", owner: "whk_a") }
        // Two seals of one value differ (a fresh nonce each) and never show it.
        let again = try key.seal("whsec_test-only", purpose: "webhook-secret", owner: "whk_a")
        #expect(again != sealed && !sealed.contains("test-only"))
        #expect(!FingerprintKey.isUnbound(sealed))
        #expect(throws: KeywardError.self) { try key.openUnbound(sealed, purpose: "webhook-secret") }
    }
}
