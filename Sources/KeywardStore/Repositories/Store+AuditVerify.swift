import KeywardCore

/// What `keyward audit verify` found.
package enum AuditVerdict: Sendable, Equatable {
    /// The chain is intact, ends at the stored head (and holds the checkpoint, if given), and
    /// the keys, identities and incidents tables hold what the audit implies. `skipped`: records
    /// the replay could not interpret.
    case ok(count: Int64, headSeq: Int64, headHash: String, rows: Int, skipped: Int)
    /// The chain is broken at `seq` (edited, deleted, reordered, truncated, rewritten).
    case chainBroken(seq: Int64, problem: String)
    /// The chain is intact but a table disagrees with it (a direct database edit).
    case stateDiffers(StateDisagreement, records: Int64)
}

extension Store {
    /// Proves the audit log and the state it accounts for, in one read snapshot: recomputes the
    /// chain, checks that it ends at the stored head (and holds `checkpoint`), replays it
    /// (`AuditReplay`) and compares every row of `api_keys`, `identities` and `incidents` with
    /// the result (`AuditStateCheck`). The state is compared only once the chain is intact.
    package func verifyAudit(checkpoint: AuditCheckpoint?) async throws -> AuditVerdict {
        try await readSnapshot { db in
            var verifier = AuditChainVerifier(checkpoint: checkpoint, storedHead: try await self.auditHead(in: db))
            var replay = AuditReplay()
            try await self.forEachAudit(in: db) { r in
                guard verifier.feed(r) else { return false }
                replay.apply(r)
                return true
            }
            let count: Int64, headSeq: Int64, headHash: String
            switch verifier.finish() {
            case .broken(let seq, let problem): return .chainBroken(seq: seq, problem: problem)
            case .ok(let c, let s, let h): (count, headSeq, headHash) = (c, s, h)
            }
            var check = AuditStateCheck(expected: replay)
            var found: StateDisagreement?
            var rows = 0
            try await self.forEachAuditedKey(in: db) { id, key in
                rows += 1
                found = check.compare(keyRow: id, key)
                return found == nil
            }
            for table in [AuditedTable.identities, .incidents] where found == nil {
                try await self.forEachAuditedStatus(table, in: db) { id, status in
                    rows += 1
                    found = table == .identities ? check.compare(identityRow: id, status: status) : check.compare(incidentRow: id, status: status)
                    return found == nil
                }
            }
            if let d = found ?? check.missingRow() { return .stateDiffers(d, records: count) }
            return .ok(count: count, headSeq: headSeq, headHash: headHash, rows: rows, skipped: replay.skipped)
        }
    }
}
