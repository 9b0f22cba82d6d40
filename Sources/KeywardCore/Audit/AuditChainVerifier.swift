/// Recomputes a chain record by record (streaming) and names the first bad one.
package struct AuditChainVerifier: Sendable {
    package enum Outcome: Sendable, Equatable {
        case ok(count: Int64, headSeq: Int64, headHash: String)
        case broken(seq: Int64, problem: String)
    }

    private var expectedSeq: Int64 = 1
    private var prevHash = AuditRecord.genesisHash
    private var firstProblem: (Int64, String)?
    private let checkpoint: AuditCheckpoint?
    private var checkpointSeen = false
    private let storedHead: (seq: Int64, hash: String)?

    /// `storedHead`: the head the store keeps beside the log (`audit_head`), read in the same
    /// snapshot. The chain must end exactly there, or its tail was deleted (or the head edited).
    package init(checkpoint: AuditCheckpoint? = nil, storedHead: (seq: Int64, hash: String)? = nil) {
        self.checkpoint = checkpoint
        self.storedHead = storedHead
    }

    /// Feeds the next record in `seq` order. Returns false once the chain is broken.
    @discardableResult
    package mutating func feed(_ r: AuditRecord) -> Bool {
        guard firstProblem == nil else { return false }
        if r.seq != expectedSeq {
            let what = r.seq > expectedSeq ? "record \(expectedSeq) is missing (deleted)" : "record \(r.seq) is out of order"
            firstProblem = (r.seq > expectedSeq ? expectedSeq : r.seq, what)
            return false
        }
        if r.prevHash != prevHash {
            firstProblem = (r.seq, "record \(r.seq) does not link to record \(r.seq - 1) (reordered or rewritten)")
            return false
        }
        if r.computeHash() != r.hash {
            firstProblem = (r.seq, "record \(r.seq) was edited: its hash does not match its content")
            return false
        }
        if let cp = checkpoint, cp.seq == r.seq {
            checkpointSeen = true
            if cp.hash != r.hash {
                firstProblem = (r.seq, "record \(r.seq) differs from the signed checkpoint (chain rewritten)")
                return false
            }
        }
        prevHash = r.hash
        expectedSeq += 1
        return true
    }

    package func finish() -> Outcome {
        if let (seq, problem) = firstProblem { return .broken(seq: seq, problem: problem) }
        if let cp = checkpoint, !checkpointSeen {
            return .broken(seq: cp.seq, problem: "the chain ends at record \(expectedSeq - 1) but the checkpoint is at record \(cp.seq) (truncated)")
        }
        let last = expectedSeq - 1
        if let head = storedHead, head.seq != last || head.hash != prevHash {
            // The first record that is missing, beyond the head, or not the head.
            let (seq, what) = head.seq > last ? (last + 1, "truncated: records after \(last) were deleted")
                : head.seq < last ? (head.seq + 1, "records after the head were added, or the head was edited")
                : (last, "the head or the last record was edited")
            return .broken(seq: seq, problem: "the chain ends at record \(last) (hash \(prevHash)) but the stored head is record \(head.seq) (hash \(head.hash)): \(what)")
        }
        return .ok(count: expectedSeq - 1, headSeq: expectedSeq - 1, headHash: prevHash)
    }
}
