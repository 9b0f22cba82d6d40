import KeywardCore
import Testing

@Suite("secrets in memory")
struct SecretTests {
    @Test("constant-time equality: equal, one byte different anywhere, different lengths")
    func constantTimeEquality() {
        let a = Array("Bearer kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T".utf8)
        #expect(ConstantTime.equal(a, a))
        for i in a.indices {
            var b = a
            b[i] ^= 0x01
            #expect(!ConstantTime.equal(a, b), "a difference at byte \(i) went unnoticed")
        }
        #expect(!ConstantTime.equal(a, Array(a.dropLast())))
        #expect(!ConstantTime.equal([], a))
        #expect(ConstantTime.equal([], []))
    }

    @Test("a secret's description shows only a short prefix")
    func description() {
        let s = Secret("kw_live_Qm7TzR2vLk9XwB4nYp1sHc8dFg3jKa6e01Co1T")
        #expect("\(s)" == "Secret(kw_live_Qm7T…(redacted))")
        #expect(!"\(s)".contains("Lk9Xw"))
    }
}
