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
    /// How sure the finding is (check_rules.py step 6).
    package var confidence: Confidence = .high

    package init(rule: Int, secretFrom: Int, secretTo: Int, decoded: [UInt8]? = nil, confidence: Confidence = .high) {
        self.rule = rule
        self.secretFrom = secretFrom
        self.secretTo = secretTo
        self.decoded = decoded
        self.confidence = confidence
    }
}

/// The two-stage engine: Hyperscan over the whole buffer, confirm only candidates.
package final class SecretScanner: Sendable {
    package let ruleSet: RuleSet
    /// Whole-input scan, end offsets only, of every rule without a `token`: one database per
    /// rule-set layer (the built-ins; a repository config's rules), each with the rule index of
    /// each of its ids.
    let detect: [(db: HyperscanDatabase, rules: [Int])]
    /// The `token` rules: their database (end offsets), the rule index of each of its ids, and
    /// each one's alphabet table and minimum run length.
    let tokenDB: HyperscanDatabase?
    let tokenRules: [Int]
    let tokenRuns: [(table: [Bool], minLength: Int)]
    /// The union of the token alphabets and base64's, and the shortest run any of them needs:
    /// one skip scan with it finds the regions the others then search.
    let wideRuns: (table: [Bool], minLength: Int)
    /// Each rule's longest match: the window before a candidate's end its start is searched in.
    let maxWidths: [Int]
    let confirmer: Confirmer
    /// Which formats have a public prefix, for redacted previews.
    package let publicPrefixes: PublicPrefixes

    package init(ruleSet: RuleSet, cacheDirectory: String? = nil) throws {
        self.ruleSet = ruleSet
        let all = ruleSet.rules
        var widths = [Int](repeating: HyperscanDatabase.unbounded, count: all.count)
        detect = try ruleSet.layers.compactMap { layer in
            let ids = layer.filter { all[$0].token == nil }
            guard !ids.isEmpty else { return nil }
            let db = try HyperscanDatabase.cached(ids.map { all[$0] }, cacheDirectory: cacheDirectory)
            for (k, i) in ids.enumerated() { widths[i] = db.maxWidths[k] }
            return (db, ids)
        }
        tokenRules = all.indices.filter { all[$0].token != nil }
        tokenDB = tokenRules.isEmpty ? nil : try HyperscanDatabase.cached(tokenRules.map { all[$0] }, cacheDirectory: cacheDirectory)
        if let tokenDB { for (k, i) in tokenRules.enumerated() { widths[i] = tokenDB.maxWidths[k] } }
        maxWidths = widths
        // Runs are looked for once per distinct (alphabet, length).
        var runs: [(table: [Bool], minLength: Int)] = []
        for i in tokenRules {
            let t = all[i].token!
            let entry = (ByteRuns.table(t.alphabet), t.minLength)
            if !runs.contains(where: { $0.table == entry.0 && $0.minLength == entry.1 }) { runs.append(entry) }
        }
        tokenRuns = runs
        wideRuns = (ByteRuns.table(tokenRules.map { all[$0].token!.alphabet }.joined() + Base64Runs.alphabetCharacters),
                    min(Base64Runs.minRun, runs.map(\.minLength).min() ?? Base64Runs.minRun))
        confirmer = try Confirmer(ruleSet)
        publicPrefixes = PublicPrefixes(rules: all)
    }

    package var rules: [Rule] { ruleSet.rules }

    /// Per-thread state: a Hyperscan scratch for each database.
    package final class Worker {
        let detectScratch: [OpaquePointer]
        let tokenScratch: OpaquePointer?
        init(detectScratch: [OpaquePointer], tokenScratch: OpaquePointer?) {
            self.detectScratch = detectScratch
            self.tokenScratch = tokenScratch
        }
        deinit {
            for s in detectScratch { hs_free_scratch(s) }
            if let tokenScratch { hs_free_scratch(tokenScratch) }
        }
    }

    package func makeWorker() throws -> Worker {
        Worker(detectScratch: try detect.map { try $0.db.makeScratch() }, tokenScratch: try tokenDB?.makeScratch())
    }

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
        SecretHit(rule: m.rule, secretFrom: m.secretFrom - 1, secretTo: m.secretTo - 1, decoded: m.decoded, confidence: m.confidence)
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
        var ends = Set<UInt64>()
        var candidates: [(rule: Int, to: Int)] = []
        for (layer, scratch) in zip(detect, worker.detectScratch) {
            let detected = Candidates()
            try hsScan(layer.db, data, from: 0, to: data.count, scratch: scratch, into: detected)
            for (id, _, to) in detected.items {
                let rule = layer.rules[Int(id)]
                if ends.insert(UInt64(rule) << 40 | to).inserted { candidates.append((rule, Int(to))) }
            }
        }
        let regions = ByteRuns.runs(in: data, of: wideRuns.table, atLeast: wideRuns.minLength)
        for (rule, to) in try tokenCandidates(data, within: regions, worker: worker) where ends.insert(UInt64(rule) << 40 | UInt64(to)).inserted {
            candidates.append((rule, to))
        }
        candidates.sort { $0.to < $1.to }
        // Pass 2: each candidate's leftmost start, by its rule's regex ending at its end within
        // the rule's longest match, then the filters.
        var matched: [Confirmer.Matched] = []
        var confirmed: [Confirmer.Matched] = []
        for c in candidates {
            guard let m = confirmer.matchEndingAt(rule: c.rule, to: c.to, in: data, window: maxWidths[c.rule]) else { continue }
            matched.append(m)
            if confirmer.survives(m, in: data) { confirmed.append(confirmer.withConfidence(m, in: data)) }
        }
        var reported = confirmer.resolve(matched: matched, confirmed: confirmed)
        // Long base64 runs are decoded and scanned once more, so a secret wrapped in base64 (a
        // Kubernetes Secret, a config blob) is found.
        let runs = depth == 0 ? Base64Runs.find(in: data, within: regions) : []
        if !runs.isEmpty {
            for run in runs
            where !reported.contains(where: { $0.secretFrom < run.upperBound && run.lowerBound < $0.secretTo }) {
                guard let decoded = Base64Runs.decodeText(UnsafeRawBufferPointer(rebasing: data[run])) else { continue }
                let framed = [0x0A] + decoded + [0x0A]
                let inner = try framed.withUnsafeBytes { try stages($0, worker: worker, depth: 1).reported }
                for h in inner {
                    let secret = Array(framed[h.secretFrom..<h.secretTo])
                    let outer = Confirmer.Matched(rule: h.rule, from: run.lowerBound, to: run.upperBound, secretFrom: run.lowerBound,
                                                  secretTo: run.upperBound, decoded: secret, confidence: h.confidence)
                    confirmed.append(outer)
                    reported.append(outer)
                    break // one finding per encoded run: its span is the run
                }
            }
            reported.sort { $0.secretFrom < $1.secretFrom }
        }
        if depth == 0 {
            let (decoded, replaced) = try percentDecoded(data, besides: reported, worker: worker)
            if !decoded.isEmpty {
                reported.removeAll { m in replaced.contains { $0.secretFrom == m.secretFrom && $0.rule == m.rule } }
                confirmed += decoded
                reported = (reported + decoded).sorted { $0.secretFrom < $1.secretFrom }
            }
        }
        return (confirmed, reported)
    }

    /// Secrets in URL-encoded runs (`PercentRuns`) that no plain-text finding covers, with spans
    /// mapped back to the encoded bytes; the decoded secret rides along when it differs from them.
    /// A provider's finding there replaces a generic one over the same bytes (`access_token=%67%68…`
    /// is a GitHub token, not a generic assignment); `replaced` lists the generic ones it took over.
    private func percentDecoded(_ data: UnsafeRawBufferPointer, besides reported: [Confirmer.Matched], worker: Worker) throws
        -> (found: [Confirmer.Matched], replaced: [Confirmer.Matched]) {
        var out: [Confirmer.Matched] = [], replaced: [Confirmer.Matched] = []
        for run in PercentRuns.find(in: data) {
            let (bytes, offsets) = PercentRuns.decode(UnsafeRawBufferPointer(rebasing: data[run]))
            let framed = [0x0A] + bytes + [0x0A]
            let inner = try framed.withUnsafeBytes { try stages($0, worker: worker, depth: 1).reported }
            // A framed offset in the decoded text → an offset in `data`.
            func raw(_ framedOffset: Int) -> Int { run.lowerBound + offsets[min(max(framedOffset - 1, 0), bytes.count)] }
            for h in inner {
                let from = raw(h.secretFrom), to = raw(h.secretTo)
                guard to > from else { continue }
                let overlapping = (reported + out).filter { $0.secretFrom < to && from < $0.secretTo }
                if !overlapping.isEmpty {
                    guard !rules[h.rule].isGeneric, overlapping.allSatisfy({ rules[$0.rule].isGeneric }) else { continue }
                    replaced += overlapping
                    out.removeAll { m in overlapping.contains { $0.secretFrom == m.secretFrom && $0.rule == m.rule } }
                }
                let secret = Array(framed[h.secretFrom..<h.secretTo])
                let plain = secret.elementsEqual(UnsafeRawBufferPointer(rebasing: data[from..<to]))
                out.append(Confirmer.Matched(rule: h.rule, from: raw(h.from), to: max(raw(h.to), to), secretFrom: from, secretTo: to,
                                             decoded: plain ? nil : secret))
            }
        }
        return (out, replaced)
    }

    /// Candidates (rule, end) of the `token` rules: every long enough run of an alphabet, with
    /// one byte of context on each side, is copied into one buffer (runs separated by a
    /// newline, which no alphabet holds and which reads like the start or end of the input),
    /// the token database scans that buffer once, and each end is mapped back. A match lies
    /// within a run plus its context, so no candidate is lost; an extra one (a match ending on
    /// a separator where the input simply ended) is dropped at the locate stage.
    private func tokenCandidates(_ data: UnsafeRawBufferPointer, within regions: [Range<Int>], worker: Worker) throws -> [(Int, Int)] {
        guard let tokenDB, let scratch = worker.tokenScratch, !regions.isEmpty else { return [] }
        var windows: [Range<Int>] = []
        for r in tokenRuns {
            ByteRuns.forEach(in: data, of: r.table, atLeast: r.minLength, within: regions) { lo, hi in
                windows.append(max(0, lo - 1)..<min(data.count, hi + 1))
            }
        }
        guard !windows.isEmpty else { return [] }
        var buffer: [UInt8] = [0x0A]
        var starts: [Int] = [] // where each window begins in `buffer`
        for w in windows {
            starts.append(buffer.count)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[w]))
            buffer.append(0x0A)
        }
        let found = Candidates()
        try buffer.withUnsafeBytes { try hsScan(tokenDB, $0, from: 0, to: $0.count, scratch: scratch, into: found) }
        var out: [(Int, Int)] = []
        for (id, _, to) in found.items {
            // The window holding the match's last byte.
            let last = Int(to) - 1
            var lo = 0, hi = starts.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if starts[mid] <= last { lo = mid } else { hi = mid - 1 }
            }
            let end = windows[lo].lowerBound + (Int(to) - starts[lo])
            if starts[lo] <= last, end <= data.count { out.append((tokenRules[Int(id)], end)) }
        }
        return out
    }
}
