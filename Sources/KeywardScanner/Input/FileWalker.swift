import Foundation

/// Lists the regular files under the roots: never follows symlinks (so never leaves a root and
/// never loops), skips `.git`, honours every `.gitignore` on the way down and `--exclude` globs.
/// Unreadable entries become warnings; the scan goes on.
package struct FileWalker {
    package struct Entry: Sendable {
        package var path: String
        package var display: String
        package var size: Int
        /// An OCI image layout folder, scanned as one image (`ContainerImage`).
        package var imageLayout = false
    }

    package var excludes: [String] = []
    package var honourGitignore = true
    /// Scan a folder holding an OCI image layout (oci-layout, index.json, blobs) as one image.
    package var detectImageLayouts = true
    package private(set) var warnings: [String] = []

    package init(excludes: [String] = [], honourGitignore: Bool = true) {
        self.excludes = excludes
        self.honourGitignore = honourGitignore
    }

    /// Throws when a root cannot be read at all (exit 2); unreadable entries inside are warnings.
    package mutating func walk(_ roots: [String]) throws -> [Entry] {
        var out: [Entry] = []
        for root in roots {
            var st = stat()
            guard lstat(root, &st) == 0 else { throw ScanError.input("cannot read \(root): \(String(cString: strerror(errno)))") }
            let isLink = (st.st_mode & S_IFMT) == S_IFLNK
            if isLink { warnings.append("\(root): a symbolic link; not followed"); continue }
            if (st.st_mode & S_IFMT) == S_IFREG {
                out.append(Entry(path: root, display: root, size: Int(st.st_size)))
                continue
            }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            guard access(root, R_OK | X_OK) == 0 else { throw ScanError.input("cannot read \(root): permission denied") }
            let exclude = IgnoreRules(base: root, text: excludes.joined(separator: "\n"))
            walkDirectory(root, relative: "", root: root, ignores: [], exclude: exclude, into: &out)
        }
        return out
    }

    private mutating func walkDirectory(_ dir: String, relative: String, root: String, ignores: [IgnoreRules], exclude: IgnoreRules, into out: inout [Entry]) {
        guard let d = opendir(dir) else {
            warnings.append("\(dir): \(String(cString: strerror(errno))); skipped")
            return
        }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(d)
        names.sort()
        if detectImageLayouts, ContainerImage.isLayout(names: names) {
            // Images are the biggest jobs: a size that sorts them first.
            out.append(Entry(path: dir, display: relative.isEmpty ? root : display(rel: relative, root: root), size: 1 << 40, imageLayout: true))
            return
        }
        var ignores = ignores
        if honourGitignore, names.contains(".gitignore"), let text = try? String(contentsOfFile: dir + "/.gitignore", encoding: .utf8) {
            ignores.append(IgnoreRules(base: relative, text: text))
        }
        for name in names where name != ".git" {
            let path = dir + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { warnings.append("\(path): \(String(cString: strerror(errno))); skipped"); continue }
            let kind = st.st_mode & S_IFMT
            guard kind == S_IFDIR || kind == S_IFREG else { continue } // symlinks, devices, sockets: not followed
            let isDir = kind == S_IFDIR
            if exclude.verdict(relativePath: rel, isDirectory: isDir) == true { continue }
            if isIgnored(rel, isDirectory: isDir, ignores) { continue }
            if isDir {
                walkDirectory(path, relative: rel, root: root, ignores: ignores, exclude: exclude, into: &out)
            } else {
                out.append(Entry(path: path, display: display(rel: rel, root: root), size: Int(st.st_size)))
            }
        }
    }

    private func display(rel: String, root: String) -> String {
        root == "." ? rel : (root.hasSuffix("/") ? root + rel : root + "/" + rel)
    }

    private func isIgnored(_ rel: String, isDirectory: Bool, _ ignores: [IgnoreRules]) -> Bool {
        var ignored = false
        for rules in ignores {
            let sub: String
            if rules.base.isEmpty { sub = rel } else if rel.hasPrefix(rules.base + "/") { sub = String(rel.dropFirst(rules.base.count + 1)) } else { continue }
            if let v = rules.verdict(relativePath: sub, isDirectory: isDirectory) { ignored = v }
        }
        return ignored
    }
}
