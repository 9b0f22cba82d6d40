import Foundation

/// One unit of work for a scan worker.
package enum ScanJob: Sendable {
    case file(FileWalker.Entry)
    case blob(BlobOrigin, [UInt8])
}

/// Totals of a scan, for the summary line and benchmarks.
package struct ScanStats: Sendable {
    package var files = 0
    package var bytes = 0
    package var skippedBinary = 0
    package var unreadable = 0
}

/// Runs jobs on N worker threads (each with its own Hyperscan scratch), off any event loop.
/// Jobs arrive through a bounded queue, so a producer (git) never buffers a whole history.
package final class ScanRunner: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`.
    let blobScanner: BlobScanner
    /// Archives and container images are expanded under these bounds; nil: scanned as binary files.
    let archives: ArchiveOptions?
    private let threads: Int
    private let lock = NSCondition()
    private var queue: [ScanJob] = []
    private var closed = false
    private var findings: [Finding] = []
    private var stats = ScanStats()
    private var warnings: [String] = []
    private var failure: (any Error)?
    private let capacity = 64

    package init(blobScanner: BlobScanner, threads: Int, archives: ArchiveOptions? = ArchiveOptions()) {
        self.blobScanner = blobScanner
        self.archives = archives
        self.threads = max(1, threads)
    }

    /// Runs `produce` (which calls `submit`) and the workers; returns when every job is done.
    package func run(produce: (ScanRunner) throws -> Void) throws -> (findings: [Finding], stats: ScanStats, warnings: [String]) {
        var workers: [Thread] = []
        let done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            let t = Thread { [self] in
                defer { done.leave() }
                do {
                    let worker = try blobScanner.scanner.makeWorker()
                    while let job = next() { try process(job, worker: worker) }
                } catch {
                    lock.lock(); failure = failure ?? error; closed = true; queue.removeAll(); lock.broadcast(); lock.unlock()
                }
            }
            t.stackSize = 8 << 20
            workers.append(t)
            t.start()
        }
        var produceError: (any Error)?
        do { try produce(self) } catch { produceError = error }
        lock.lock(); closed = true; lock.broadcast(); lock.unlock()
        done.wait()
        if let e = produceError ?? failure { throw e }
        return (findings.sorted { ($0.path, $0.line, $0.columnStart, $0.commit ?? "") < ($1.path, $1.line, $1.columnStart, $1.commit ?? "") }, stats, warnings)
    }

    /// Runs a known list of jobs (files): workers take the next index under the lock, with no
    /// producer thread to hand jobs over (fewer wake-ups and context switches).
    package func run(jobs: [ScanJob]) throws -> (findings: [Finding], stats: ScanStats, warnings: [String]) {
        lock.lock()
        queue = jobs.reversed()
        closed = true
        lock.unlock()
        return try run { _ in }
    }

    /// Adds a job, waiting while the queue is full.
    package func submit(_ job: ScanJob) {
        lock.lock()
        while queue.count >= capacity && !closed { lock.wait() }
        if !closed { queue.append(job) }
        lock.signal()
        lock.unlock()
    }

    /// Totals so far and the findings count, for a progress line.
    package func progress() -> (stats: ScanStats, findings: Int) {
        lock.lock(); defer { lock.unlock() }
        return (stats, findings.count)
    }

    package func warn(_ w: String) {
        lock.lock(); warnings.append(w); lock.unlock()
    }

    private func next() -> ScanJob? {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty && !closed { lock.wait() }
        guard !queue.isEmpty else { return nil }
        if closed { return queue.popLast() } // a fixed list, stored reversed: O(1), nobody to wake
        let j = queue.removeFirst()
        lock.broadcast()
        return j
    }

    private func record(_ f: [Finding], bytes: Int, binary: Bool = false, unreadable: String? = nil) {
        lock.lock()
        findings += f
        if let u = unreadable { warnings.append(u); stats.unreadable += 1 } else if binary { stats.skippedBinary += 1 } else { stats.files += 1; stats.bytes += bytes }
        lock.unlock()
    }

    /// Adds what an archive's entries gave (`ScanRunner+Archives`).
    func record(_ r: ArchiveScan.Result) {
        lock.lock()
        findings += r.findings
        warnings += r.warnings
        stats.files += r.files
        stats.bytes += r.bytes
        stats.skippedBinary += r.binary
        lock.unlock()
    }

    private func process(_ job: ScanJob, worker: SecretScanner.Worker) throws {
        if try expandArchive(job, worker: worker) { return }
        switch job {
        case .blob(let origin, let bytes):
            if Self.looksBinary(bytes.prefix(8192)) { record([], bytes: 0, binary: true); return }
            var f = try bytes.withUnsafeBytes { try blobScanner.scan($0, origin: origin, worker: worker) }
            if Notebook.isNotebook(path: origin.path) { f += try notebookFindings(bytes, origin: origin, besides: f, worker: worker) }
            record(f, bytes: bytes.count)
        case .file(let entry):
            let fd = open(entry.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                record([], bytes: 0, unreadable: "\(entry.display): \(String(cString: strerror(errno))); skipped")
                return
            }
            defer { close(fd) }
            var head = [UInt8](repeating: 0, count: 8192)
            let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            guard n >= 0 else {
                record([], bytes: 0, unreadable: "\(entry.display): \(String(cString: strerror(errno))); skipped")
                return
            }
            if archives != nil, ArchiveFormat.detect(head.prefix(n)) != nil { try expandArchive(entry, worker: worker); return }
            if Self.looksBinary(head.prefix(n)) { record([], bytes: 0, binary: true); return }
            var total = 0
            var f = try blobScanner.scanStream(origin: BlobOrigin(path: entry.display), worker: worker, sizeHint: entry.size) { buf in
                let r = read(fd, buf.baseAddress, buf.count)
                if r > 0 { total += r }
                return r
            }
            if Notebook.isNotebook(path: entry.display), total <= Notebook.maxSize,
               let data = FileManager.default.contents(atPath: entry.path) {
                f += try notebookFindings(Array(data), origin: BlobOrigin(path: entry.display), besides: f, worker: worker)
            }
            record(f, bytes: total)
        }
    }

    /// What a notebook's decoded cells and outputs show that its raw JSON did not: findings on
    /// the file lines the parts start on, less those the raw scan reported on the same line.
    private func notebookFindings(_ bytes: [UInt8], origin: BlobOrigin, besides raw: [Finding], worker: SecretScanner.Worker) throws -> [Finding] {
        guard let parts = Notebook.parts(of: bytes) else { return [] }
        var out: [Finding] = []
        for part in parts {
            for var f in try part.text.withUnsafeBytes({ try blobScanner.scan($0, origin: origin, worker: worker) }) {
                f.line += part.firstLine - 1
                f.endLine += part.firstLine - 1
                if !(raw + out).contains(where: { $0.fingerprint == f.fingerprint && $0.line == f.line }) { out.append(f) }
            }
        }
        return out
    }

    /// Binary: a NUL byte in the first 8 KiB (as git decides).
    static func looksBinary<C: Collection>(_ head: C) -> Bool where C.Element == UInt8 { head.contains(0) }
}
