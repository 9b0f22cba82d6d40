import Foundation

/// Expands one top-level archive (or container image) in a scan worker: every entry streamed
/// from libarchive into the blob scanner, nested archives opened on the stream of their entry,
/// under `ArchiveOptions`. A finding's path names the chain, `outer.zip!dir/inner.jar!a.properties`.
/// Damage, encryption and the limits become warnings; the scan goes on.
package final class ArchiveScan {
    struct Result {
        var findings: [Finding] = []
        var files = 0
        var bytes = 0
        var binary = 0
        var warnings: [String] = []
    }

    let blobScanner: BlobScanner
    let worker: SecretScanner.Worker
    let options: ArchiveOptions
    /// The top-level archive's own size, for the compression-ratio guard.
    let topSize: Int
    /// Commit attribution of a git blob, kept on every entry's finding.
    let base: BlobOrigin
    var result = Result()
    private var expanded = 0
    private var entries = 0
    private var warningsDropped = 0
    /// Set when a limit stops the whole top-level archive.
    private(set) var stopped = false
    private lazy var scratch = [UInt8](repeating: 0, count: 64 << 10)

    init(blobScanner: BlobScanner, worker: SecretScanner.Worker, options: ArchiveOptions, topSize: Int, base: BlobOrigin) {
        self.blobScanner = blobScanner
        self.worker = worker
        self.options = options
        self.topSize = topSize
        self.base = base
    }

    /// Scans a file or buffer that starts like an archive: a container image when its structure
    /// says so, otherwise an archive.
    func run(_ source: ArchiveReader.Source) throws -> Result {
        if let image = ContainerImage.probe(source) {
            try scanImage(image, source: source)
        } else {
            do {
                try expand(try ArchiveReader(source), outer: base.path, depth: 1, layer: false)
            } catch let f as ArchiveFailure {
                warn(base.path, "not a readable archive (\(f.message)); skipped")
            }
        }
        if warningsDropped > 0 { result.warnings.append("\(base.path): \(warningsDropped) more archive warnings") }
        return result
    }

    func warn(_ path: String, _ text: String) {
        if result.warnings.count < options.maxWarnings { result.warnings.append("\(path): \(text)") } else { warningsDropped += 1 }
    }

    private func stop(_ text: String) {
        guard !stopped else { return }
        stopped = true
        warn(base.path, text)
    }

    /// Counts bytes coming out of the archive; stops it at the total cap or the ratio guard.
    private func account(_ n: Int) {
        expanded += n
        if expanded > options.maxTotalBytes {
            stop("expands past \(options.maxTotalBytes >> 20) MiB; the rest of the archive is skipped")
        } else if expanded > options.ratioFloor, expanded / max(topSize, 1) > options.maxRatio {
            stop("expands more than \(options.maxRatio) times its size (a likely archive bomb); the rest of the archive is skipped")
        }
    }

    /// Every entry of `reader`. `layer`: an image layer, whose paths are shown from its root (`/app/.env`).
    func expand(_ reader: ArchiveReader, outer: String, depth: Int, layer: Bool) throws {
        var damaged = 0
        while !stopped {
            switch reader.next() {
            case .end:
                return
            case .failure(let message, let fatal):
                damaged += 1
                if fatal || damaged > 3 {
                    warn(outer, "corrupt or truncated archive (\(message)); the rest of it is skipped")
                    return
                }
                warn(outer, "damaged entry (\(message)); skipped")
            case .entry(let e):
                guard e.regular else { continue }
                entries += 1
                if entries > options.maxEntries {
                    stop("more than \(options.maxEntries) entries; the rest of the archive is skipped")
                    return
                }
                let name = reader.isRaw ? Self.innerName(of: outer) : e.name
                let path = outer + "!" + (layer && !name.hasPrefix("/") ? "/" + name : name)
                if e.encrypted {
                    warn(path, "encrypted; skipped")
                    continue
                }
                try entry(of: reader, e, path: path, depth: depth)
                if !stopped && !reader.skipsCheaply { drain(reader) }
            }
        }
    }

    /// One entry: a nested archive (by its first bytes), a binary file (skipped) or text (scanned).
    func entry(of reader: ArchiveReader, _ e: ArchiveReader.Entry, path: String, depth: Int) throws {
        var head = [UInt8](repeating: 0, count: 8192)
        switch head.withUnsafeMutableBytes({ reader.readFully(into: $0) }) {
        case .failure(let f):
            warn(path, "unreadable (\(f.message)); skipped")
            return
        case .success(let n):
            head.removeSubrange(n...)
        }
        account(head.count)
        if ArchiveFormat.detect(head) != nil {
            guard depth < options.maxDepth else {
                warn(path, "an archive nested more than \(options.maxDepth) deep; not expanded (--archive-depth)")
                return
            }
            do {
                let inner = try ArchiveReader(.entry(EntryStream(outer: reader, prefix: head)))
                try expand(inner, outer: path, depth: depth + 1, layer: false)
            } catch let f as ArchiveFailure {
                warn(path, "not a readable archive (\(f.message)); skipped")
            }
            return
        }
        if ScanRunner.looksBinary(head) {
            result.binary += 1
            return
        }
        try scanLeaf(reader, head: head, size: e.size, path: path)
    }

    /// Streams a text entry into the blob scanner, up to the per-entry cap.
    private func scanLeaf(_ reader: ArchiveReader, head: [UInt8], size: Int?, path: String) throws {
        var headSent = 0
        var taken = head.count
        var capped = false
        var damage: String?
        var origin = base
        origin.path = path
        let found = try blobScanner.scanStream(origin: origin, worker: worker, sizeHint: size) { buf in
            if headSent < head.count {
                let n = min(buf.count, head.count - headSent)
                head.withUnsafeBytes { buf.baseAddress!.copyMemory(from: $0.baseAddress! + headSent, byteCount: n) }
                headSent += n
                return n
            }
            guard !stopped, damage == nil else { return 0 }
            let room = min(buf.count, options.maxEntryBytes - taken)
            guard room > 0 else { capped = true; return 0 }
            switch reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[0..<room])) {
            case .success(let n):
                taken += n
                account(n)
                return n
            case .failure(let f):
                damage = f.message
                return 0
            }
        }
        result.findings += found
        result.files += 1
        result.bytes += taken
        if capped { warn(path, "larger than \(options.maxEntryBytes >> 20) MiB; only its start was scanned") }
        if let damage { warn(path, "truncated or damaged (\(damage)); scanned up to the damage") }
    }

    /// Reads the rest of the current entry without scanning it, counted by the guards (libarchive
    /// would otherwise decompress it unbounded when moving to the next header).
    func drain(_ reader: ArchiveReader) {
        while !stopped {
            guard case .success(let n) = scratch.withUnsafeMutableBytes({ reader.read(into: $0) }), n > 0 else { return }
            account(n)
        }
    }

    /// The name shown for the content of a single compressed stream: `app.log.gz` → `app.log`.
    package static func innerName(of outer: String) -> String {
        let last = outer.split(separator: "!").last.map(String.init) ?? outer
        let file = last.split(separator: "/").last.map(String.init) ?? last
        for suffix in [".gz", ".tgz", ".bz2", ".xz", ".zst", ".gzip"] where file.lowercased().hasSuffix(suffix) && file.count > suffix.count {
            let stem = String(file.dropLast(suffix.count))
            return suffix == ".tgz" ? stem + ".tar" : stem
        }
        return "data"
    }
}
