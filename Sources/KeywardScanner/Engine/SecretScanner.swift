import CHyperscan
import Foundation

/// One confirmed secret in a buffer: the rule and the secret's byte span (offsets into the
/// unframed content). The secret bytes themselves stay with the caller, which turns them into
/// fingerprints and redacted previews at once.
package struct SecretHit: Sendable, Equatable {
    package var rule: Int
    package var secretFrom: Int
    package var secretTo: Int
}

/// The two-stage engine: Hyperscan over the whole buffer, confirm only candidates.
package final class SecretScanner: Sendable {
    package let ruleSet: RuleSet
    let database: HyperscanDatabase
    let confirmer: Confirmer

    package init(ruleSet: RuleSet, cacheDirectory: String? = nil) throws {
        self.ruleSet = ruleSet
        database = try HyperscanDatabase.cached(ruleSet.rules, ruleDigest: ruleSet.digest, cacheDirectory: cacheDirectory)
        confirmer = try Confirmer(ruleSet)
    }

    package var rules: [Rule] { ruleSet.rules }

    /// Per-thread state: a Hyperscan scratch.
    package final class Worker {
        let scratch: OpaquePointer
        init(scratch: OpaquePointer) { self.scratch = scratch }
        deinit { hs_free_scratch(scratch) }
    }

    package func makeWorker() throws -> Worker { Worker(scratch: try database.makeScratch()) }

    private final class Candidates {
        var items: [(UInt32, UInt64, UInt64)] = []
    }

    /// Scans `content` (framed as "\n" + content + "\n" internally, see check_rules.py step 0).
    package func scan(_ content: UnsafeRawBufferPointer, worker: Worker) throws -> [SecretHit] {
        var framed = [UInt8](repeating: 0x0A, count: content.count + 2)
        framed.withUnsafeMutableBytes { dst in
            if let base = content.baseAddress, content.count > 0 {
                dst.baseAddress!.advanced(by: 1).copyMemory(from: base, byteCount: content.count)
            }
        }
        return try framed.withUnsafeBytes { data in
            try scanFramed(data, worker: worker).map { SecretHit(rule: $0.rule, secretFrom: $0.secretFrom - 1, secretTo: $0.secretTo - 1) }
        }
    }

    /// What each stage kept, for rule tests and `--explain`: every confirmed candidate (before
    /// fallback suppression and overlap merge) and what is finally reported.
    package func explain(_ content: UnsafeRawBufferPointer, worker: Worker) throws -> (confirmed: [SecretHit], reported: [SecretHit]) {
        var framed = [UInt8](repeating: 0x0A, count: content.count + 2)
        framed.withUnsafeMutableBytes { dst in
            if let base = content.baseAddress, content.count > 0 { dst.baseAddress!.advanced(by: 1).copyMemory(from: base, byteCount: content.count) }
        }
        return try framed.withUnsafeBytes { data in
            let (confirmed, reported) = try stages(data, worker: worker)
            let shift = { (m: Confirmer.Matched) in SecretHit(rule: m.rule, secretFrom: m.secretFrom - 1, secretTo: m.secretTo - 1) }
            return (confirmed.map(shift), reported.map(shift))
        }
    }

    func scanFramed(_ data: UnsafeRawBufferPointer, worker: Worker) throws -> [Confirmer.Matched] {
        try stages(data, worker: worker).reported
    }

    func stages(_ data: UnsafeRawBufferPointer, worker: Worker) throws -> (confirmed: [Confirmer.Matched], reported: [Confirmer.Matched]) {
        guard data.count <= Int(UInt32.max) else { throw ScanError.input("buffer too large for one scan") }
        let box = Candidates()
        let ctx = Unmanaged.passUnretained(box).toOpaque()
        let rc = hs_scan(database.db, data.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(data.count), 0, worker.scratch, { id, from, to, _, ctx in
            let box = Unmanaged<Candidates>.fromOpaque(ctx!).takeUnretainedValue()
            box.items.append((id, from, to))
            // Bound work on pathological input: stop collecting past a million candidates.
            return box.items.count > 1_000_000 ? 1 : 0
        }, ctx)
        guard rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED else { throw ScanError.engine("Hyperscan scan failed (\(rc))") }
        var seen = Set<[Int]>()
        var matched: [Confirmer.Matched] = []
        var confirmed: [Confirmer.Matched] = []
        for (id, from, to) in box.items {
            let key = [Int(id), Int(from), Int(to)]
            guard seen.insert(key).inserted else { continue }
            let m = database.withoutSOM.contains(Int(id))
                ? confirmer.matchEndingAt(rule: Int(id), to: Int(to), in: data)
                : confirmer.match(rule: Int(id), from: Int(from), to: Int(to), in: data)
            guard let m else { continue }
            matched.append(m)
            if confirmer.survives(m, in: data) { confirmed.append(m) }
        }
        return (confirmed, confirmer.resolve(matched: matched, confirmed: confirmed))
    }
}
