import CHyperscan
import Crypto
import Foundation
import KeywardCore

/// Rule patterns compiled into one Hyperscan block-mode database that reports where matches
/// end (no start-of-match tracking: with it, 1,000 rules took over a minute to compile and three
/// times as long to scan). Where a match starts is found by the confirm stage's regex in a window
/// of the rule's maximum match length before the end (`Confirmer.matchEndingAt`), which Hyperscan
/// reports with the database. Optionally cached on disk, serialized and keyed by the patterns
/// and the library version; a stale or corrupt cache is rebuilt, never trusted, and concurrent
/// processes compile an entry once.
package final class HyperscanDatabase: @unchecked Sendable {
    // @unchecked: hs_database_t is immutable after compilation and documented as safe to share
    // between threads; each worker scans with its own scratch.
    let db: OpaquePointer
    private let prototype: OpaquePointer
    /// The longest match each pattern can make, in bytes (Hyperscan's `max_width`; unbounded
    /// patterns read as `unbounded`), in the order of the rules compiled.
    package let maxWidths: [Int]
    package static let unbounded = 65_536

    private init(db: OpaquePointer, maxWidths: [Int]) throws {
        self.db = db
        self.maxWidths = maxWidths
        var scratch: OpaquePointer?
        guard hs_alloc_scratch(db, &scratch) == HS_SUCCESS, let scratch else {
            hs_free_database(db)
            throw ScanError.engine("Hyperscan could not allocate scratch space")
        }
        prototype = scratch
    }

    deinit {
        hs_free_scratch(prototype)
        hs_free_database(db)
    }

    package static func compile(_ rules: [Rule]) throws -> HyperscanDatabase {
        var cPatterns = rules.map { strdup($0.pattern) }
        defer { for p in cPatterns { free(p) } }
        var flags = [UInt32](repeating: 0, count: rules.count)
        var ids = (0..<rules.count).map { UInt32($0) }
        var db: OpaquePointer?
        var err: UnsafeMutablePointer<hs_compile_error_t>?
        let rc = cPatterns.withUnsafeMutableBufferPointer { pats in
            pats.withMemoryRebound(to: UnsafePointer<CChar>?.self) { p in
                hs_compile_multi(p.baseAddress, &flags, &ids, UInt32(rules.count), UInt32(HS_MODE_BLOCK), nil, &db, &err)
            }
        }
        guard rc == HS_SUCCESS, let db else {
            var message = "Hyperscan compile failed"
            if let err {
                let index = Int(err.pointee.expression)
                let what = err.pointee.message.map { String(cString: $0) } ?? "?"
                message += index >= 0 && index < rules.count ? " for rule \(rules[index].id): \(what)" : ": \(what)"
                hs_free_compile_error(err)
            }
            throw ScanError.engine(message)
        }
        return try HyperscanDatabase(db: db, maxWidths: try rules.map(maxWidth))
    }

    /// Hyperscan's analysis of one pattern: its longest match.
    static func maxWidth(_ rule: Rule) throws -> Int {
        var info: UnsafeMutablePointer<hs_expr_info_t>?
        var err: UnsafeMutablePointer<hs_compile_error_t>?
        guard hs_expression_info(rule.pattern, 0, &info, &err) == HS_SUCCESS, let info else {
            if let err { hs_free_compile_error(err) }
            throw ScanError.engine("Hyperscan cannot analyse the pattern of rule \(rule.id)")
        }
        defer { free(info) } // allocated with the default allocator, as hs_compile documents
        let w = info.pointee.max_width
        return w == UInt32.max ? unbounded : min(Int(w), unbounded)
    }

    /// Loads the database from `cacheDirectory` when a valid entry for these patterns exists,
    /// else compiles and (best effort) writes the cache.
    package static func cached(_ rules: [Rule], cacheDirectory: String?) throws -> HyperscanDatabase {
        guard let dir = cacheDirectory else { return try compile(rules) }
        let version = String(cString: hs_version())
        // Keyed by exactly what is compiled (every pattern, in order), the entry layout and the
        // library version: a rule change or another Hyperscan never loads a database built for
        // something else, and a repository's custom rules leave the built-in entry in use.
        var h = SHA256()
        h.update(data: Array("keyward-hsdb-2\u{0}\(version)\u{0}".utf8))
        for r in rules { h.update(data: Array(r.pattern.utf8) + [0]) }
        let path = (dir as NSString).appendingPathComponent("rules-\(Hex.encode(Array(h.finalize()).prefix(16))).hsdb")
        if let loaded = load(path, count: rules.count) { return loaded }
        // One process compiles an entry; the others wait for it and load it.
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if lock >= 0 { _ = flock(lock, LOCK_EX) }
        defer { if lock >= 0 { close(lock) } }
        if let loaded = load(path, count: rules.count) { return loaded }
        let compiled = try compile(rules)
        store(compiled, at: path)
        pruneCache(dir)
        return compiled
    }

    /// Layout: 32-byte SHA-256 of the rest; the 4-byte rule count n; n 4-byte maximum widths;
    /// then hs_serialize_database's bytes.
    private static func load(_ path: String, count: Int) -> HyperscanDatabase? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let rest = data.dropFirst(32)
        let bytes = Array(rest)
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        guard data.count > 36, Array(data.prefix(32)) == sha256(rest), u32(0) == count, bytes.count > 4 + 4 * count else {
            try? FileManager.default.removeItem(atPath: path) // corrupt or stale: rebuild
            return nil
        }
        let widths = (0..<count).map { u32(4 + 4 * $0) }
        let payload = bytes[(4 + 4 * count)...]
        var db: OpaquePointer?
        let rc = payload.withUnsafeBytes { raw in
            hs_deserialize_database(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &db)
        }
        guard rc == HS_SUCCESS, let db, widths.allSatisfy({ $0 > 0 && $0 <= unbounded }) else {
            if let db { hs_free_database(db) }
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        _ = utimes(path, nil) // used now: pruning keeps the entries in use
        return try? HyperscanDatabase(db: db, maxWidths: widths)
    }

    private static func store(_ compiled: HyperscanDatabase, at path: String) {
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        guard hs_serialize_database(compiled.db, &bytes, &length) == HS_SUCCESS, let bytes else { return }
        var rest = [UInt8]()
        func put(_ v: Int) { for k in 0..<4 { rest.append(UInt8((v >> (8 * k)) & 0xFF)) } }
        put(compiled.maxWidths.count)
        for w in compiled.maxWidths { put(w) }
        rest += Array(UnsafeRawBufferPointer(start: bytes, count: length))
        free(bytes)
        let tmp = path + ".\(getpid()).tmp"
        if FileManager.default.createFile(atPath: tmp, contents: Data(sha256(rest)) + rest) { _ = rename(tmp, path) }
    }

    /// Entries kept in a cache folder: each rule set, mode and Hyperscan version has its own,
    /// and a repository config with custom rules makes more, so the least recently used beyond
    /// this many are removed when a new one is written.
    package static let cacheEntriesKept = 8

    static func pruneCache(_ dir: String) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else { return }
        let entries = names.filter { $0.hasPrefix("rules-") && $0.hasSuffix(".hsdb") }.compactMap { name -> (String, Date)? in
            let path = (dir as NSString).appendingPathComponent(name)
            guard let m = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return nil }
            return (path, m)
        }
        for (path, _) in entries.sorted(by: { $0.1 > $1.1 }).dropFirst(cacheEntriesKept) {
            try? fm.removeItem(atPath: path)
            try? fm.removeItem(atPath: path + ".lock")
        }
    }

    /// A scratch for one worker thread.
    package func makeScratch() throws -> OpaquePointer {
        var s: OpaquePointer?
        guard hs_clone_scratch(prototype, &s) == HS_SUCCESS, let s else { throw ScanError.engine("Hyperscan scratch clone failed") }
        return s
    }

    private static func sha256<D: DataProtocol>(_ d: D) -> [UInt8] { Array(SHA256.hash(data: Data(d))) }
}
