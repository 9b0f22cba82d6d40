import CHyperscan
import Foundation

/// One confirmed secret in a buffer: the rule and the secret's byte span (offsets into the
/// unframed content). The secret bytes themselves stay with the caller, which turns them into
/// fingerprints and redacted previews at once.
package struct SecretHit: Sendable, Equatable {
    package var rule: Int
    package var secretFrom: Int
    package var secretTo: Int
    /// For a secret found inside base64-encoded content: the decoded secret (the span is the
    /// encoded run). nil when the span itself is the secret.
    package var decoded: [UInt8]? = nil

    package init(rule: Int, secretFrom: Int, secretTo: Int, decoded: [UInt8]? = nil) {
        self.rule = rule
        self.secretFrom = secretFrom
        self.secretTo = secretTo
        self.decoded = decoded
    }
}

/// The two-stage engine: Hyperscan over the whole buffer, confirm only candidates.
package final class SecretScanner: Sendable {
    package let ruleSet: RuleSet
    /// Whole-input scan, end offsets only (fast).
    let detect: HyperscanDatabase
    /// Windows around candidates, with start of match.
    let database: HyperscanDatabase
    let confirmer: Confirmer

    package init(ruleSet: RuleSet, cacheDirectory: String? = nil) throws {
        self.ruleSet = ruleSet
        detect = try HyperscanDatabase.cached(ruleSet.rules, ruleDigest: ruleSet.digest, cacheDirectory: cacheDirectory, startOfMatch: false)
        database = try HyperscanDatabase.cached(ruleSet.rules, ruleDigest: ruleSet.digest, cacheDirectory: cacheDirectory, startOfMatch: true)
        confirmer = try Confirmer(ruleSet)
    }

    package var rules: [Rule] { ruleSet.rules }

    /// Per-thread state: a Hyperscan scratch for each database.
    package final class Worker {
        let scratch: OpaquePointer
        let detectScratch: OpaquePointer
        init(scratch: OpaquePointer, detectScratch: OpaquePointer) {
            self.scratch = scratch
            self.detectScratch = detectScratch
        }
        deinit {
            hs_free_scratch(scratch)
            hs_free_scratch(detectScratch)
        }
    }

    package func makeWorker() throws -> Worker { Worker(scratch: try database.makeScratch(), detectScratch: try detect.makeScratch()) }

    private final class Candidates {
        var items: [(UInt32, UInt64, UInt64)] = []
    }

    /// Scans `content` (framed as "\n" + content + "\n" internally, see check_rules.py step 0).
    package func scan(_ content: UnsafeRawBufferPointer, worker: Worker) throws -> [SecretHit] {
        try Self.withFramed(content) { try scanPreframed($0, worker: worker) }
    }

    /// What each stage kept, for rule tests and `--explain`: every confirmed candidate (before
    /// fallback suppression and overlap merge) and what is finally reported.
    package func explain(_ content: UnsafeRawBufferPointer, worker: Worker) throws -> (confirmed: [SecretHit], reported: [SecretHit]) {
        try Self.withFramed(content) { data in
            let (confirmed, reported) = try stages(data, worker: worker)
            return (confirmed.map(Self.unframed), reported.map(Self.unframed))
        }
    }

    /// Copies `content` between the two framing newlines.
    private static func withFramed<R>(_ content: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var framed = [UInt8](repeating: 0x0A, count: content.count + 2)
        framed.withUnsafeMutableBytes { dst in
            if let base = content.baseAddress, content.count > 0 { dst.baseAddress!.advanced(by: 1).copyMemory(from: base, byteCount: content.count) }
        }
        return try framed.withUnsafeBytes(body)
    }

    /// A confirmed match with offsets into the framed buffer → a hit in content offsets.
    private static func unframed(_ m: Confirmer.Matched) -> SecretHit {
        SecretHit(rule: m.rule, secretFrom: m.secretFrom - 1, secretTo: m.secretTo - 1, decoded: m.decoded)
    }

    /// Scans a buffer that already carries the framing: byte 0 and the last byte are "\n" and
    /// the content lies between them. Offsets in the result are content offsets.
    package func scanPreframed(_ framed: UnsafeRawBufferPointer, worker: Worker) throws -> [SecretHit] {
        try stages(framed, worker: worker).reported.map(Self.unframed)
    }

    private func hsScan(_ db: HyperscanDatabase, _ data: UnsafeRawBufferPointer, from lo: Int, to hi: Int, scratch: OpaquePointer, into box: Candidates) throws {
        guard hi > lo else { return }
        let ctx = Unmanaged.passUnretained(box).toOpaque()
        let rc = hs_scan(db.db, data.baseAddress!.advanced(by: lo).assumingMemoryBound(to: CChar.self), UInt32(hi - lo), 0, scratch, { id, from, to, _, ctx in
            let box = Unmanaged<Candidates>.fromOpaque(ctx!).takeUnretainedValue()
            box.items.append((id, from, to))
            // Bound work on pathological input: stop collecting past a million candidates.
            return box.items.count > 1_000_000 ? 1 : 0
        }, ctx)
        guard rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED else { throw ScanError.engine("Hyperscan scan failed (\(rc))") }
    }

    func stages(_ data: UnsafeRawBufferPointer, worker: Worker, depth: Int = 0) throws -> (confirmed: [Confirmer.Matched], reported: [Confirmer.Matched]) {
        guard data.count <= Int(UInt32.max), data.count > 0 else { return ([], []) }
        // Pass 1: detect candidates (rule, end) over the whole input.
        let detected = Candidates()
        try hsScan(detect, data, from: 0, to: data.count, scratch: worker.detectScratch, into: detected)
        var ends = Set<UInt64>()
        var candidates: [(rule: Int, to: Int)] = []
        for (id, _, to) in detected.items where ends.insert(UInt64(id) << 40 | to).inserted {
            candidates.append((Int(id), Int(to)))
        }
        candidates.sort { $0.to < $1.to }
        // Pass 2: locate each candidate's start with the SOM database on a window before its end
        // (neighbouring candidates share one window), widening when the start lies further back.
        var located: [Int: Int] = [:]  // candidate index → from
        var i = 0
        while i < candidates.count {
            var j = i
            while j + 1 < candidates.count && candidates[j + 1].to - candidates[i].to <= 65_536 { j += 1 }
            locate(candidates, i...j, window: 4_096, data: data, worker: worker, into: &located)
            for k in i...j where located[k] == nil {
                locate(candidates, k...k, window: 65_536, data: data, worker: worker, into: &located)
            }
            i = j + 1
        }
        var matched: [Confirmer.Matched] = []
        var confirmed: [Confirmer.Matched] = []
        for (k, c) in candidates.enumerated() {
            let m: Confirmer.Matched?
            if let from = located[k] {
                m = confirmer.match(rule: c.rule, from: from, to: c.to, in: data)
            } else if database.withoutSOM.contains(c.rule) {
                m = confirmer.matchEndingAt(rule: c.rule, to: c.to, in: data)
            } else {
                m = nil
            }
            guard let m else { continue }
            matched.append(m)
            if confirmer.survives(m, in: data) { confirmed.append(m) }
        }
        var reported = confirmer.resolve(matched: matched, confirmed: confirmed)
        // Long base64 runs are decoded and scanned once more, so a secret wrapped in base64 (a
        // Kubernetes Secret, a config blob) is found.
        let runs = depth == 0 ? Base64Runs.find(in: data) : []
        if !runs.isEmpty {
            for run in runs
            where !reported.contains(where: { $0.secretFrom < run.upperBound && run.lowerBound < $0.secretTo }) {
                guard let decoded = Base64Runs.decodeText(UnsafeRawBufferPointer(rebasing: data[run])) else { continue }
                let framed = [0x0A] + decoded + [0x0A]
                let inner = try framed.withUnsafeBytes { try stages($0, worker: worker, depth: 1).reported }
                for h in inner {
                    let secret = Array(framed[h.secretFrom..<h.secretTo])
                    let outer = Confirmer.Matched(rule: h.rule, from: run.lowerBound, to: run.upperBound, secretFrom: run.lowerBound,
                                                  secretTo: run.upperBound, decoded: secret)
                    confirmed.append(outer)
                    reported.append(outer)
                    break // one finding per encoded run: its span is the run
                }
            }
            reported.sort { $0.secretFrom < $1.secretFrom }
        }
        return (confirmed, reported)
    }

    /// Runs the SOM database over [first end - window, last end] and records the leftmost start
    /// of each candidate's own rule ending at its end. A start at the very edge of a window that
    /// does not begin the input is not trusted (the match may begin before it).
    private func locate(_ candidates: [(rule: Int, to: Int)], _ range: ClosedRange<Int>, window: Int, data: UnsafeRawBufferPointer,
                        worker: Worker, into located: inout [Int: Int]) {
        let lo = max(0, candidates[range.lowerBound].to - window)
        let hi = candidates[range.upperBound].to
        let box = Candidates()
        guard (try? hsScan(database, data, from: lo, to: hi, scratch: worker.scratch, into: box)) != nil else { return }
        var starts: [UInt64: Int] = [:]
        for (id, from, to) in box.items where !database.withoutSOM.contains(Int(id)) {
            let key = UInt64(id) << 40 | (to + UInt64(lo))
            let f = Int(from) + lo
            if let cur = starts[key] { starts[key] = min(cur, f) } else { starts[key] = f }
        }
        for k in range {
            let c = candidates[k]
            if let f = starts[UInt64(c.rule) << 40 | UInt64(c.to)], f > lo || lo == 0 { located[k] = f }
        }
    }
}
