import Crypto
import Foundation
import KeywardCore
import Testing

// case 75 of docs/security-cases.md: delete, edit, reorder, truncate, rewrite.
@Suite("Audit chain")
struct AuditChainTests {
    func chain(_ n: Int) -> [AuditRecord] {
        var out: [AuditRecord] = []
        var seq: Int64 = 0
        var prev = AuditRecord.genesisHash
        for i in 0..<n {
            let r = AuditRecord.next(after: seq, prevHash: prev, at: 1_000 + Int64(i),
                                     entry: AuditEntry(actor: "key:x", action: .keyIssued, target: "key_\(i)", details: ["n": String(i)]))
            out.append(r)
            seq = r.seq
            prev = r.hash
        }
        return out
    }

    func verify(_ records: [AuditRecord], checkpoint: AuditCheckpoint? = nil) -> AuditChainVerifier.Outcome {
        var v = AuditChainVerifier(checkpoint: checkpoint)
        for r in records { v.feed(r) }
        return v.finish()
    }

    @Test("an intact chain verifies")
    func intact() {
        let c = chain(10)
        #expect(verify(c) == .ok(count: 10, headSeq: 10, headHash: c[9].hash))
    }

    @Test("an edited record is named")
    func edited() {
        var c = chain(10)
        c[4].details = "{\"n\":\"40\"}"
        #expect(verify(c) == .broken(seq: 5, problem: "record 5 was edited: its hash does not match its content"))
    }

    @Test("a deleted record is named")
    func deleted() {
        var c = chain(10)
        c.remove(at: 3)
        guard case .broken(let seq, _) = verify(c) else { Issue.record("not detected"); return }
        #expect(seq == 4)
    }

    @Test("reordered records are caught")
    func reordered() {
        var c = chain(10)
        c.swapAt(2, 3)
        guard case .broken = verify(c) else { Issue.record("not detected"); return }
        // Renumbering after a swap is caught by the link check.
        var d = chain(10)
        let a = d[2], b = d[3]
        d[2] = b; d[2].seq = 3
        d[3] = a; d[3].seq = 4
        guard case .broken = verify(d) else { Issue.record("not detected"); return }
    }

    @Test("truncation and a rewritten chain are caught by a signed checkpoint")
    func checkpoint() throws {
        let key = Curve25519.Signing.PrivateKey()
        let c = chain(10)
        let cp = try AuditCheckpoint.sign(seq: 8, hash: c[7].hash, with: key)
        #expect(cp.isValidSignature(trusted: key.publicKey))
        #expect(!cp.isValidSignature(trusted: Curve25519.Signing.PrivateKey().publicKey))
        guard case .ok = verify(c, checkpoint: cp) else { Issue.record("intact chain refused"); return }
        // Truncated below the checkpoint: the tail is gone.
        guard case .broken(let seq, _) = verify(Array(c.prefix(6)), checkpoint: cp) else { Issue.record("truncation not detected"); return }
        #expect(seq == 8)
        // A whole new, internally consistent chain: only the checkpoint tells.
        var rewritten: [AuditRecord] = []
        var prev = AuditRecord.genesisHash
        for i in 0..<10 {
            let r = AuditRecord.next(after: Int64(i), prevHash: prev, at: 5, entry: AuditEntry(actor: "evil", action: .keyIssued, target: "y"))
            rewritten.append(r)
            prev = r.hash
        }
        guard case .ok = verify(rewritten) else { Issue.record("rewritten chain should be self-consistent"); return }
        guard case .broken = verify(rewritten, checkpoint: cp) else { Issue.record("rewrite not detected"); return }
        // A tampered checkpoint fails its signature.
        var forged = cp
        forged.seq = 3
        #expect(!forged.isValidSignature(trusted: key.publicKey))
    }

    @Test("details are canonical (sorted keys), so equal details hash equally")
    func canonical() {
        let a = AuditEntry(actor: "a", action: .keyIssued, target: "c", details: ["z": "1", "a": "2"]).canonicalDetails
        #expect(a == "{\"a\":\"2\",\"z\":\"1\"}")
    }
}

/// Issue 10 item 9: without a checkpoint, the head the store keeps beside the log still tells a
/// deleted tail (case 75 of docs/security-cases.md).
@Suite("Audit chain and its stored head")
struct AuditHeadTests {
    @Test("a chain that ends before the stored head fails naming both")
    func truncatedTail() {
        let c = AuditChainTests().chain(13)
        var v = AuditChainVerifier(storedHead: (seq: 13, hash: c[12].hash))
        for r in c.prefix(11) { v.feed(r) }
        guard case .broken(let seq, let problem) = v.finish() else { Issue.record("truncation not detected"); return }
        #expect(seq == 12)
        #expect(problem.contains("ends at record 11") && problem.contains("stored head is record 13") && problem.contains(c[12].hash))

        var whole = AuditChainVerifier(storedHead: (seq: 13, hash: c[12].hash))
        for r in c { whole.feed(r) }
        #expect(whole.finish() == .ok(count: 13, headSeq: 13, headHash: c[12].hash))
        // A head that names another hash for the last record, or stops before the end.
        var edited = AuditChainVerifier(storedHead: (seq: 13, hash: c[11].hash))
        for r in c { edited.feed(r) }
        guard case .broken(13, _) = edited.finish() else { Issue.record("edited head not detected"); return }
        var behind = AuditChainVerifier(storedHead: (seq: 11, hash: c[10].hash))
        for r in c { behind.feed(r) }
        guard case .broken(12, _) = behind.finish() else { Issue.record("records beyond the head not detected"); return }
    }
}
