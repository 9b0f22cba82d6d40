/// Archives recognised by their first bytes (never by name): what `keyward scan` expands.
package enum ArchiveFormat: Sendable, Equatable {
    case zip, tar, gzip, bzip2, xz, zstd

    /// The format whose magic bytes start `head` (the first 8 KiB the walker already read), or
    /// nil. A few byte comparisons: cheap enough to run on every file.
    package static func detect<C: Collection>(_ head: C) -> ArchiveFormat? where C.Element == UInt8, C.Index == Int {
        let n = head.count
        guard n >= 4 else { return nil }
        let s = head.startIndex
        let b = { (i: Int) in head[s + i] }
        // zip (jar, war, ear, apk, whl, nupkg, docx…): a local file header, or an empty archive's end record.
        if b(0) == 0x50, b(1) == 0x4B, (b(2) == 3 && b(3) == 4) || (b(2) == 5 && b(3) == 6) { return .zip }
        if b(0) == 0x1F, b(1) == 0x8B, n >= 3, b(2) == 0x08 { return .gzip }
        if b(0) == 0x28, b(1) == 0xB5, b(2) == 0x2F, b(3) == 0xFD { return .zstd }
        if n >= 6, b(0) == 0xFD, b(1) == 0x37, b(2) == 0x7A, b(3) == 0x58, b(4) == 0x5A, b(5) == 0x00 { return .xz }
        // "BZh" + block size 1-9 + the first block's magic (the BCD digits of pi).
        if n >= 10, b(0) == 0x42, b(1) == 0x5A, b(2) == 0x68, (0x31...0x39).contains(b(3)),
           b(4) == 0x31, b(5) == 0x41, b(6) == 0x59, b(7) == 0x26, b(8) == 0x53, b(9) == 0x59 { return .bzip2 }
        // POSIX and GNU tar: "ustar" at offset 257 of a header block, which also holds NUL padding.
        if n >= 512, b(257) == 0x75, b(258) == 0x73, b(259) == 0x74, b(260) == 0x61, b(261) == 0x72,
           head.contains(0) { return .tar }
        return nil
    }
}

/// Bounds on expanding archives: depth, per entry, per top-level archive, and the compression
/// ratio. Entries are streamed, never written to disk nor held whole: these bound the time spent.
package struct ArchiveOptions: Sendable, Equatable {
    /// Archives inside archives: the top-level archive is depth 1 (`--archive-depth`).
    package var maxDepth = 3
    /// Bytes scanned of one entry; the rest of a bigger entry is skipped with a warning.
    package var maxEntryBytes = 256 << 20
    /// Bytes expanded from one top-level archive (all its entries, nested ones included).
    package var maxTotalBytes = 4 << 30
    /// Expanded bytes per byte of the top-level archive, checked once `ratioFloor` bytes are out.
    package var maxRatio = 100
    package var ratioFloor = 1 << 20
    /// Entries of one top-level archive (nested ones included).
    package var maxEntries = 200_000
    /// Warnings kept per top-level archive (a corrupt archive may produce one per entry).
    package var maxWarnings = 20

    package init(maxDepth: Int = 3) {
        self.maxDepth = maxDepth
    }
}
