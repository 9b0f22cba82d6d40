import Foundation
import KeywardCore

/// Where a blob came from (a file, a git blob, stdin).
package struct BlobOrigin: Sendable {
    package var path: String
    package var commit: String?
    package var author: String?
    package var date: String?
    package init(path: String, commit: String? = nil, author: String? = nil, date: String? = nil) {
        self.path = path
        self.commit = commit
        self.author = author
        self.date = date
    }
}

/// Scans one blob, in bounded chunks with overlap, and turns hits into findings
/// (line and column, fingerprint, redacted preview). The secret bytes go no further.
package struct BlobScanner: Sendable {
    package let scanner: SecretScanner
    package let key: ScannerKey
    /// Bytes scanned at once; big inputs go chunk by chunk so memory stays bounded.
    package var chunkSize = 8 << 20
    /// Overlap between chunks: longer than any rule's match (PEM blocks included).
    package var overlap = 64 << 10
    /// Allow comments, the repository config and the baseline, applied to each finding.
    package var suppressor: Suppressor?

    package init(scanner: SecretScanner, key: ScannerKey, suppressor: Suppressor? = nil) {
        self.scanner = scanner
        self.key = key
        self.suppressor = suppressor
    }

    /// Scans a whole in-memory buffer.
    package func scan(_ bytes: UnsafeRawBufferPointer, origin: BlobOrigin, worker: SecretScanner.Worker) throws -> [Finding] {
        let hits = try scanner.scan(bytes, worker: worker)
        var lines = LineIndex()
        if !hits.isEmpty { lines.prepare(bytes) }
        return hits.map { finding($0, bytes: bytes, lines: lines, origin: origin) }
    }

    /// Scans a stream chunk by chunk: windows of `chunkSize + overlap` bytes, each starting
    /// where the previous window's overlap begins. A window reports the secrets that start
    /// before its overlap (they end inside it: no rule matches more than `overlap` bytes); the
    /// last window reports the rest. Memory stays at one window whatever the input's size; a
    /// small input (`sizeHint`) gets a buffer of its own size. The buffer carries the engine's
    /// framing bytes around the content, so nothing is copied before scanning.
    package func scanStream(origin: BlobOrigin, worker: SecretScanner.Worker, sizeHint: Int? = nil,
                            read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> [Finding] {
        let fullWindow = chunkSize + overlap
        var window = min(fullWindow, max(4096, (sizeHint ?? chunkSize) + 1))
        var buffer = [UInt8](repeating: 0x0A, count: window + 2)
        var filled = 0            // content bytes in buffer[1...filled]
        var lines = LineIndex()
        var out: [Finding] = []
        var eof = false
        while true {
            while !eof {
                if filled == window {
                    // The size hint was low (the file grew): continue with a full-size window.
                    guard window < fullWindow else { break }
                    buffer += [UInt8](repeating: 0x0A, count: fullWindow - window)
                    window = fullWindow
                }
                let n = try buffer.withUnsafeMutableBytes { try read(UnsafeMutableRawBufferPointer(rebasing: $0[(1 + filled)..<(1 + window)])) }
                if n <= 0 { eof = true } else { filled += n }
            }
            let keepFrom = eof ? filled : filled - overlap
            buffer[1 + filled] = 0x0A
            try buffer.withUnsafeBytes { all in
                let framed = UnsafeRawBufferPointer(rebasing: all[0..<(filled + 2)])
                let content = UnsafeRawBufferPointer(rebasing: all[1..<(1 + filled)])
                let hits = try scanner.scanPreframed(framed, worker: worker).filter { $0.secretFrom < keepFrom }
                if !hits.isEmpty { lines.prepare(content) }
                for h in hits { out.append(finding(h, bytes: content, lines: lines, origin: origin)) }
                if !eof { lines.advance(over: UnsafeRawBufferPointer(rebasing: content[0..<keepFrom])) }
            }
            if eof { return out }
            buffer.withUnsafeMutableBytes { b in
                (b.baseAddress! + 1).copyMemory(from: b.baseAddress! + 1 + keepFrom, byteCount: overlap)
            }
            filled = overlap
        }
    }

    func finding(_ h: SecretHit, bytes: UnsafeRawBufferPointer, lines: LineIndex, origin: BlobOrigin) -> Finding {
        let rule = scanner.rules[h.rule]
        let secret = h.decoded ?? Array(bytes[h.secretFrom..<h.secretTo])
        let (line, col) = lines.position(of: h.secretFrom)
        let (endLine, endCol) = lines.position(of: h.secretTo)
        var f = Finding(
            ruleId: rule.id, provider: rule.provider, name: rule.name, path: origin.path, line: line, endLine: endLine,
            columnStart: col, columnEnd: endCol, commit: origin.commit, author: origin.author, date: origin.date,
            preview: Redaction.preview(secret, publicPrefix: scanner.publicPrefixes.prefix(of: secret, rule: h.rule)), fingerprint: key.fingerprint(secret),
            highEntropy: rule.highEntropy, digest: rule.highEntropy ? ScannerKey.sha256(secret) : nil,
            possessionProof: rule.highEntropy ? PossessionProof.proof(of: secret).hex : nil)
        f.confidence = h.confidence
        if rule.id.hasPrefix("private-key.") { f.jwkThumbprint = PrivateKeyThumbprint.of(secret) }
        suppressor?.apply(to: &f, secret: secret, line: Self.line(around: h.secretFrom, in: bytes))
        return f
    }

    /// The line holding `offset` (at most 4 KiB each side of it), without its newline.
    static func line(around offset: Int, in bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var lo = offset, hi = offset
        let floor = max(0, offset - 4096), ceiling = min(bytes.count, offset + 4096)
        while lo > floor && bytes[lo - 1] != 0x0A { lo -= 1 }
        while hi < ceiling && bytes[hi] != 0x0A { hi += 1 }
        return Array(bytes[lo..<hi])
    }
}

/// 1-based line and column of offsets in a buffer, counting lines of earlier chunks too.
struct LineIndex {
    /// Newlines before the current buffer.
    var linesBefore = 0
    /// Offsets of the newlines in the current buffer.
    var newlines: [Int] = []

    mutating func prepare(_ bytes: UnsafeRawBufferPointer) {
        newlines.removeAll(keepingCapacity: true)
        Self.forEachNewline(bytes) { newlines.append($0) }
    }

    mutating func advance(over consumed: UnsafeRawBufferPointer) {
        var n = 0
        Self.forEachNewline(consumed) { _ in n += 1 }
        linesBefore += n
    }

    /// memchr-driven: the C library's vectorised search, not a byte loop.
    static func forEachNewline(_ bytes: UnsafeRawBufferPointer, _ body: (Int) -> Void) {
        guard let base = bytes.baseAddress else { return }
        var p = base
        let end = base + bytes.count
        while p < end, let hit = memchr(p, 0x0A, end - p) {
            body(UnsafeRawPointer(hit) - base)
            p = UnsafeRawPointer(hit) + 1
        }
    }

    func position(of offset: Int) -> (line: Int, column: Int) {
        // Newlines strictly before `offset`, by binary search.
        var lo = 0, hi = newlines.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if newlines[mid] < offset { lo = mid + 1 } else { hi = mid }
        }
        let lastNL = lo > 0 ? newlines[lo - 1] : -1
        return (linesBefore + lo + 1, offset - lastNL)
    }
}
