import CHyperscan
import Crypto
import Foundation

/// All rule patterns compiled into one Hyperscan block-mode database (HS_FLAG_SOM_LEFTMOST, so
/// each candidate carries its start). Optionally cached on disk, serialized and keyed by the
/// rule set's digest and the library version; a stale or corrupt cache is rebuilt, never trusted.
package final class HyperscanDatabase: @unchecked Sendable {
    // @unchecked: hs_database_t is immutable after compilation and documented as safe to share
    // between threads; each worker scans with its own scratch.
    let db: OpaquePointer
    private let prototype: OpaquePointer

    private init(db: OpaquePointer) throws {
        self.db = db
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
        var flags = [UInt32](repeating: UInt32(HS_FLAG_SOM_LEFTMOST), count: rules.count)
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
                let idx = Int(err.pointee.expression)
                let what = err.pointee.message.map { String(cString: $0) } ?? "?"
                message += idx >= 0 && idx < rules.count ? " for rule \(rules[idx].id): \(what)" : ": \(what)"
                hs_free_compile_error(err)
            }
            throw ScanError.engine(message)
        }
        return try HyperscanDatabase(db: db)
    }

    /// Loads the database from `cacheDirectory` when a valid entry for `ruleDigest` exists,
    /// else compiles and (best effort) writes the cache.
    package static func cached(_ rules: [Rule], ruleDigest: String, cacheDirectory: String?) throws -> HyperscanDatabase {
        guard let dir = cacheDirectory else { return try compile(rules) }
        let version = String(cString: hs_version())
        let key = "\(ruleDigest.prefix(32))-\(version.split(separator: " ").first ?? "hs")"
        let path = (dir as NSString).appendingPathComponent("rules-\(key).hsdb")
        if let data = FileManager.default.contents(atPath: path), data.count > 32 {
            // Layout: 32-byte SHA-256 of the payload, then hs_serialize_database's bytes.
            let payload = data.dropFirst(32)
            if Array(data.prefix(32)) == sha256(payload) {
                var db: OpaquePointer?
                let rc = payload.withUnsafeBytes { raw in
                    hs_deserialize_database(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &db)
                }
                if rc == HS_SUCCESS, let db { return try HyperscanDatabase(db: db) }
            }
            try? FileManager.default.removeItem(atPath: path) // corrupt or stale: rebuild
        }
        let compiled = try compile(rules)
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        if hs_serialize_database(compiled.db, &bytes, &length) == HS_SUCCESS, let bytes {
            let payload = Data(bytes: bytes, count: length)
            free(bytes)
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let tmp = path + ".\(getpid()).tmp"
            if FileManager.default.createFile(atPath: tmp, contents: Data(sha256(payload)) + payload) {
                _ = rename(tmp, path)
            }
        }
        return compiled
    }

    /// A scratch for one worker thread.
    package func makeScratch() throws -> OpaquePointer {
        var s: OpaquePointer?
        guard hs_clone_scratch(prototype, &s) == HS_SUCCESS, let s else { throw ScanError.engine("Hyperscan scratch clone failed") }
        return s
    }

    private static func sha256<D: DataProtocol>(_ d: D) -> [UInt8] { Array(SHA256.hash(data: Data(d))) }
}
