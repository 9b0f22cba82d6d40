import CArchive
import Foundation

/// One libarchive reader (zip, tar, or a single compressed stream) over a file, a buffer in
/// memory or another reader's current entry. Nothing is extracted to disk.
final class ArchiveReader {
    enum Source {
        /// A file: seekable, so a zip is read through its central directory.
        case file(String)
        /// A buffer that outlives the reader (a git blob).
        case memory(UnsafeRawBufferPointer)
        /// The current entry of an outer reader, streamed (a nested archive).
        case entry(EntryStream)
    }

    /// The current entry's header.
    struct Entry {
        var name: String
        var size: Int?
        var regular: Bool
        var encrypted: Bool
    }

    enum Next {
        case entry(Entry)
        case end
        /// A damaged header: the message, and whether reading may go on.
        case failure(String, fatal: Bool)
    }

    let handle: OpaquePointer
    private let stream: EntryStream?
    private let seekable: Bool

    init(_ source: Source) throws(ArchiveFailure) {
        guard let a = archive_read_new() else { throw ArchiveFailure("libarchive could not allocate a reader") }
        // Native decompressors only (filter_all would also run external programs).
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_bzip2(a)
        archive_read_support_filter_xz(a)
        archive_read_support_filter_zstd(a)
        archive_read_support_format_zip(a)
        archive_read_support_format_tar(a)
        archive_read_support_format_gnutar(a)
        // A compressed file that is not a tar (app.log.gz): one entry, its content.
        archive_read_support_format_raw(a)
        var stream: EntryStream?
        let r: Int32
        switch source {
        case .file(let path):
            r = archive_read_open_filename(a, path, 64 << 10)
        case .memory(let bytes):
            r = archive_read_open_memory(a, bytes.baseAddress, bytes.count)
        case .entry(let s):
            stream = s
            r = archive_read_open(a, Unmanaged.passUnretained(s).toOpaque(), nil, { _, client, buffer in
                Unmanaged<EntryStream>.fromOpaque(client!).takeUnretainedValue().next(buffer)
            }, nil)
        }
        guard r == ARCHIVE_OK || r == ARCHIVE_WARN else {
            let message = Self.message(a)
            archive_read_free(a)
            throw ArchiveFailure(message)
        }
        handle = a
        self.stream = stream
        seekable = stream == nil
    }

    deinit { archive_read_free(handle) }

    /// The archive's format, once a header was read: a single compressed stream is `raw`.
    var isRaw: Bool { archive_format(handle) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_RAW }
    var isTar: Bool { archive_format(handle) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_TAR }

    /// Whether libarchive skips the rest of an entry without decompressing it (a seek in an
    /// uncompressed file or buffer); otherwise the caller drains it, counting what comes out.
    var skipsCheaply: Bool { seekable && archive_filter_count(handle) <= 1 }

    func next() -> Next {
        var e: OpaquePointer?
        let r = archive_read_next_header(handle, &e)
        if r == ARCHIVE_EOF { return .end }
        guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let e else {
            return .failure(Self.message(handle), fatal: r == ARCHIVE_FATAL)
        }
        let raw = archive_entry_pathname_utf8(e) ?? archive_entry_pathname(e)
        var name = raw.map { String(cString: $0) } ?? ""
        while name.hasPrefix("./") { name.removeFirst(2) }
        return .entry(Entry(name: name, size: archive_entry_size_is_set(e) != 0 ? Int(archive_entry_size(e)) : nil,
                            regular: keyward_archive_entry_is_regular(e) != 0, encrypted: archive_entry_is_encrypted(e) != 0))
    }

    /// Reads the current entry's content: bytes read, 0 at its end, or a message when it is damaged.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, ArchiveFailure> {
        let n = archive_read_data(handle, buffer.baseAddress, buffer.count)
        if n >= 0 { return .success(n) }
        return .failure(ArchiveFailure(Self.message(handle)))
    }

    /// Reads until `buffer` is full or the entry ends.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, ArchiveFailure> {
        var filled = 0
        while filled < buffer.count {
            switch read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) {
            case .success(0): return .success(filled)
            case .success(let n): filled += n
            case .failure(let f): return .failure(f)
            }
        }
        return .success(filled)
    }

    private static func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unreadable"
    }
}

/// A libarchive failure: its message (about the archive's structure, never an entry's content).
struct ArchiveFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// An outer reader's current entry as the input of a nested reader: the bytes already read to
/// recognise it first, then the rest of the entry, 64 KiB at a time.
final class EntryStream {
    private let outer: ArchiveReader
    private var prefix: [UInt8]
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    private var prefixSent = false
    /// Set when the outer entry turned out damaged.
    private(set) var failure: ArchiveFailure?

    init(outer: ArchiveReader, prefix: [UInt8]) {
        self.outer = outer
        self.prefix = prefix
    }

    deinit { buffer.deallocate() }

    /// libarchive's read callback: points `out` at the next bytes; 0 at the end, -1 on error.
    func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        if !prefixSent {
            prefixSent = true
            if !prefix.isEmpty {
                let n = prefix.count
                prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
                out?.pointee = UnsafeRawPointer(buffer.baseAddress!)
                return n
            }
        }
        switch outer.read(into: buffer) {
        case .success(let n):
            out?.pointee = UnsafeRawPointer(buffer.baseAddress!)
            return n
        case .failure(let f):
            failure = f
            return -1
        }
    }
}
