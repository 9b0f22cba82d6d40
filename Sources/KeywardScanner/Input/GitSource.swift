import Foundation

/// Git history as scan jobs: every blob in the object store (reachable from any ref or reflog,
/// unreachable, loose or packed) scanned once, each attributed to the first commit, author,
/// date and path where it appeared. Needs the `git` command.
package struct GitSource {
    package let repository: String

    package struct Origin: Sendable {
        var commit: String
        var author: String
        var date: String
        var path: String
    }

    package init(repository: String) throws {
        self.repository = repository
        let r = try Subprocess.capture("git", ["-C", repository, "rev-parse", "--git-dir"])
        guard r.status == 0 else { throw ScanError.input("\(repository) is not a git repository") }
    }

    /// The full commit id `revision` names, or a clear error (a typo, an unknown branch, a blob).
    package func commit(_ revision: String) throws -> String {
        guard !revision.hasPrefix("-"), !revision.isEmpty else { throw ScanError.input("--since needs a commit, not \"\(revision)\"") }
        let r = try Subprocess.capture("git", ["-C", repository, "rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"])
        let id = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.status == 0, id.count >= 40 else { throw ScanError.input("--since: \(revision) is not a commit of \(repository)") }
        return id
    }

    /// blob id → where it first appeared (oldest commit first, across all refs, reflogs and
    /// unreachable commits that fsck finds). With `since` (a commit id), only the blobs the
    /// commits after it wrote: those reachable from a ref but not from `since` (an incremental
    /// scan of what was pushed since the last one; reflogs and unreachable objects are left out).
    package func attribution(since: String? = nil) throws -> [String: Origin] {
        var unreachableCommits: [String] = []
        if since == nil {
            let fsck = try Subprocess.capture("git", ["-C", repository, "fsck", "--unreachable", "--no-reflogs", "--no-progress"])
            unreachableCommits = String(decoding: fsck.stdout, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
                let f = line.split(separator: " ")
                return f.count == 3 && f[1] == "commit" ? String(f[2]) : nil
            }
        }
        var map: [String: Origin] = [:]
        var current: (String, String, String)?
        var pending = [UInt8]()
        let stdin = unreachableCommits.isEmpty ? nil : Array((unreachableCommits.joined(separator: "\n") + "\n").utf8)
        let range = since.map { ["--all", "^" + $0] } ?? ["--all", "--reflog"]
        let args = ["-C", repository, "-c", "core.quotePath=false", "log"] + range + ["--reverse", "--date-order", "--no-renames", "-m",
                    "--raw", "--no-abbrev", "-z", "--format=%x01%H%x02%an%x02%aI"] + (stdin == nil ? [] : ["--stdin"])
        let (status, err, _) = try Subprocess.run("git", args, stdin: stdin) { chunk in pending += chunk }
        guard status == 0 else { throw ScanError.input("git log failed: \(err.prefix(200))") }
        // With -z: a commit header "\x01H\x02an\x02date" then raw entries ":mode mode sha sha status\0path\0".
        var i = 0
        let n = pending.count
        while i < n {
            if pending[i] == 0x01 {
                var j = i + 1
                while j < n && pending[j] != 0x0A && pending[j] != 0x00 { j += 1 }
                let parts = pending[(i + 1)..<j].split(separator: 0x02, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                if parts.count == 3 { current = (parts[0], parts[1], parts[2]) }
                i = j + 1
            } else if pending[i] == 0x3A { // ':'
                var j = i
                while j < n && pending[j] != 0x00 { j += 1 }
                let meta = pending[(i + 1)..<j].split(separator: 0x20)
                var k = j + 1
                while k < n && pending[k] != 0x00 { k += 1 }
                let path = String(decoding: pending[min(j + 1, n)..<min(k, n)], as: UTF8.self)
                if meta.count >= 5, let c = current {
                    let sha = String(decoding: meta[3], as: UTF8.self)
                    let statusChar = meta[4].first
                    if statusChar != UInt8(ascii: "D"), map[sha] == nil, sha.count >= 40, sha != String(repeating: "0", count: sha.count) {
                        map[sha] = Origin(commit: c.0, author: c.1, date: c.2, path: path)
                    }
                }
                i = k + 1
            } else {
                i += 1
            }
        }
        return map
    }

    /// Streams every blob in the object store to `submit`, once each; with `onlyAttributed`, only
    /// the blobs `attribution` names (an incremental scan).
    package func forEachBlob(attribution: [String: Origin], onlyAttributed: Bool = false, submit: (BlobOrigin, [UInt8]) -> Void) throws {
        var buffer = [UInt8]()
        var header: (sha: String, type: String, size: Int)?
        let args = onlyAttributed ? ["-C", repository, "cat-file", "--batch"] : ["-C", repository, "cat-file", "--batch-all-objects", "--batch", "--unordered"]
        let wanted = onlyAttributed ? Array(attribution.keys.sorted().joined(separator: "\n").utf8) + [0x0A] : nil
        if onlyAttributed && attribution.isEmpty { return }
        let (status, err, _) = try Subprocess.run("git", args, stdin: wanted) { chunk in
            buffer += chunk
            var start = 0
            while true {
                if header == nil {
                    guard let nl = buffer[start...].firstIndex(of: 0x0A) else { break }
                    let f = buffer[start..<nl].split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
                    start = nl + 1
                    guard f.count == 3, let size = Int(f[2]) else { continue }
                    header = (f[0], f[1], size)
                }
                guard let h = header, buffer.count - start >= h.size + 1 else { break }
                if h.type == "blob" {
                    let body = Array(buffer[start..<(start + h.size)])
                    if let o = attribution[h.sha] {
                        submit(BlobOrigin(path: o.path, commit: o.commit, author: o.author, date: o.date), body)
                    } else {
                        submit(BlobOrigin(path: "(unreachable blob \(h.sha.prefix(12)))", commit: nil), body)
                    }
                }
                start += h.size + 1
                header = nil
            }
            if start > 0 { buffer.removeFirst(start) }
        }
        guard status == 0 else { throw ScanError.input("git cat-file failed: \(err.prefix(200))") }
    }

    /// The staged (index) version of every added, copied, modified or renamed file, for a
    /// pre-commit hook.
    package func forEachStagedFile(submit: (BlobOrigin, [UInt8]) -> Void) throws {
        let names = try Subprocess.capture("git", ["-C", repository, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"])
        guard names.status == 0 else { throw ScanError.input("git diff --cached failed: \(names.stderr.prefix(200))") }
        let paths = names.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        for p in paths {
            let r = try Subprocess.capture("git", ["-C", repository, "cat-file", "blob", ":" + p])
            if r.status == 0 { submit(BlobOrigin(path: p), r.stdout) }
        }
    }
}
