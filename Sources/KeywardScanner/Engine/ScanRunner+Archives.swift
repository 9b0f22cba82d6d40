import Foundation

extension ScanRunner {
    /// The scan pipeline's one hook for archives: a job whose first bytes are an archive's (or a
    /// folder holding an OCI image layout) becomes its entries, scanned here in this worker.
    /// False for everything else, after a few byte comparisons on the head already read.
    func expandArchive(_ job: ScanJob, worker: SecretScanner.Worker) throws -> Bool {
        guard let archives else { return false }
        switch job {
        case .blob(let origin, let bytes):
            guard ArchiveFormat.detect(bytes.prefix(8192)) != nil else { return false }
            let scan = ArchiveScan(blobScanner: blobScanner, worker: worker, options: archives, topSize: bytes.count, base: origin)
            record(try bytes.withUnsafeBytes { try scan.run(.memory($0)) })
            return true
        case .file(let entry) where entry.imageLayout:
            let origin = BlobOrigin(path: entry.display)
            guard let image = ContainerImage.directory(entry.path) else {
                warn("\(entry.display): an OCI image layout whose index names no layers; skipped")
                return true
            }
            let size = image.layers.keys.reduce(0) { total, name in
                var st = stat()
                return total + (stat(entry.path + "/" + name, &st) == 0 ? Int(st.st_size) : 0)
            }
            let scan = ArchiveScan(blobScanner: blobScanner, worker: worker, options: archives, topSize: size, base: origin)
            try scan.scanLayoutDirectory(entry.path, image: image)
            record(scan.result)
            return true
        case .file:
            return false // its head is tested where it is read (`process`), then `expandArchive(_:worker:)`
        }
    }

    /// A file whose first bytes are an archive's.
    func expandArchive(_ entry: FileWalker.Entry, worker: SecretScanner.Worker) throws {
        let scan = ArchiveScan(blobScanner: blobScanner, worker: worker, options: archives ?? ArchiveOptions(), topSize: entry.size,
                               base: BlobOrigin(path: entry.display))
        record(try scan.run(.file(entry.path)))
    }
}
