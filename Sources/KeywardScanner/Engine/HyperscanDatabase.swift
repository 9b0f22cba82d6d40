import CHyperscan
import Crypto
import Foundation
import KeywardCore

/// All rule patterns compiled into one Hyperscan block-mode database. Two are built from the
/// same rules: a fast "detect" database without start-of-match tracking that scans whole
/// inputs, and a "locate" database with HS_FLAG_SOM_LEFTMOST that is run only on small windows
/// around candidates to find where each match starts (SOM tracking over whole inputs cost about
/// three times the scan). Optionally cached on disk, serialized and keyed by the rule set's
/// digest, the mode and the library version; a stale or corrupt cache is rebuilt, never trusted.
package final class HyperscanDatabase: @unchecked Sendable {
    // @unchecked: hs_database_t is immutable after compilation and documented as safe to share
    // between threads; each worker scans with its own scratch.
    let db: OpaquePointer
    private let prototype: OpaquePointer
    /// Rules compiled without start-of-match (Hyperscan refused SOM for them, e.g. "Pattern is
    /// too large" for wide bounded repeats): their candidates report only an end offset and the
    /// confirm stage searches backwards for the start.
    package let withoutSOM: Set<Int>

    private init(db: OpaquePointer, withoutSOM: Set<Int>) throws {
        self.db = db
        self.withoutSOM = withoutSOM
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

    package static func compile(_ rules: [Rule], startOfMatch: Bool = true) throws -> HyperscanDatabase {
        var noSOM = startOfMatch ? Set(rules.indices.filter { rules[$0].startOfMatch == false }) : Set(0..<rules.count)
        while true {
            switch try compileOnce(rules, withoutSOM: noSOM) {
            case .success(let db): return try HyperscanDatabase(db: db, withoutSOM: noSOM)
            case .failure(let failedRule):
                // Retry that rule without SOM; a rule that fails even so is a real error.
                guard !noSOM.contains(failedRule.index) else { throw ScanError.engine(failedRule.message) }
                noSOM.insert(failedRule.index)
            }
        }
    }

    struct CompileFailure: Error {
        var index: Int
        var message: String
    }

    private static func compileOnce(_ rules: [Rule], withoutSOM noSOM: Set<Int>) throws -> Result<OpaquePointer, CompileFailure> {
        var cPatterns = rules.map { strdup($0.pattern) }
        defer { for p in cPatterns { free(p) } }
        var flags = (0..<rules.count).map { noSOM.contains($0) ? UInt32(0) : UInt32(HS_FLAG_SOM_LEFTMOST) }
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
            var index = -1
            if let err {
                index = Int(err.pointee.expression)
                let what = err.pointee.message.map { String(cString: $0) } ?? "?"
                message += index >= 0 && index < rules.count ? " for rule \(rules[index].id): \(what)" : ": \(what)"
                hs_free_compile_error(err)
            }
            guard index >= 0 && index < rules.count else { throw ScanError.engine(message) }
            return .failure(CompileFailure(index: index, message: message))
        }
        return .success(db)
    }

    /// Loads the database from `cacheDirectory` when a valid entry for `ruleDigest` exists,
    /// else compiles and (best effort) writes the cache.
    package static func cached(_ rules: [Rule], ruleDigest: String, cacheDirectory: String?, startOfMatch: Bool = true) throws -> HyperscanDatabase {
        guard let dir = cacheDirectory else { return try compile(rules, startOfMatch: startOfMatch) }
        let version = String(cString: hs_version())
        // Keyed by exactly what is compiled (every pattern, in order, and the mode) plus the
        // library version: a rule change, an added internal pattern or another Hyperscan never
        // loads a database built for something else.
        var h = SHA256()
        h.update(data: Array("\(ruleDigest)\u{0}\(startOfMatch)\u{0}\(version)".utf8))
        for r in rules { h.update(data: Array(r.pattern.utf8) + [0]) }
        let key = Hex.encode(Array(h.finalize()).prefix(16)) + "-" + (startOfMatch ? "locate" : "detect")
        let path = (dir as NSString).appendingPathComponent("rules-\(key).hsdb")
        if let data = FileManager.default.contents(atPath: path), data.count > 36 {
            // Layout: 32-byte SHA-256 of the rest; 4-byte count n; n 4-byte no-SOM rule indexes;
            // then hs_serialize_database's bytes.
            let rest = data.dropFirst(32)
            if Array(data.prefix(32)) == sha256(rest) {
                let bytes = Array(rest)
                func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
                let n = u32(0)
                if n >= 0, n <= rules.count, bytes.count > 4 + 4 * n {
                    let noSOM = Set((0..<n).map { u32(4 + 4 * $0) })
                    let payload = bytes[(4 + 4 * n)...]
                    var db: OpaquePointer?
                    let rc = payload.withUnsafeBytes { raw in
                        hs_deserialize_database(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &db)
                    }
                    if rc == HS_SUCCESS, let db, noSOM.allSatisfy({ $0 < rules.count }) {
                        _ = utimes(path, nil) // used now: pruning keeps the entries in use
                        return try HyperscanDatabase(db: db, withoutSOM: noSOM)
                    }
                }
            }
            try? FileManager.default.removeItem(atPath: path) // corrupt or stale: rebuild
        }
        let compiled = try compile(rules, startOfMatch: startOfMatch)
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        if hs_serialize_database(compiled.db, &bytes, &length) == HS_SUCCESS, let bytes {
            var rest = [UInt8]()
            func put(_ v: Int) { for k in 0..<4 { rest.append(UInt8((v >> (8 * k)) & 0xFF)) } }
            put(compiled.withoutSOM.count)
            for i in compiled.withoutSOM.sorted() { put(i) }
            rest += Array(UnsafeRawBufferPointer(start: bytes, count: length))
            free(bytes)
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let tmp = path + ".\(getpid()).tmp"
            if FileManager.default.createFile(atPath: tmp, contents: Data(sha256(rest)) + rest) {
                _ = rename(tmp, path)
                pruneCache(dir)
            }
        }
        return compiled
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
        for (path, _) in entries.sorted(by: { $0.1 > $1.1 }).dropFirst(cacheEntriesKept) { try? fm.removeItem(atPath: path) }
    }

    /// A scratch for one worker thread.
    package func makeScratch() throws -> OpaquePointer {
        var s: OpaquePointer?
        guard hs_clone_scratch(prototype, &s) == HS_SUCCESS, let s else { throw ScanError.engine("Hyperscan scratch clone failed") }
        return s
    }

    private static func sha256<D: DataProtocol>(_ d: D) -> [UInt8] { Array(SHA256.hash(data: Data(d))) }
}
