import Foundation

/// The `[[allow]]` entries of a repository config: a finding is allowed by an entry when every
/// field the entry gives matches (any path glob, any rule id, any line regex). Values are never
/// listed: a config names where a known-fake value sits (path, rule, the text around it), so it
/// can never become a second copy of a real secret.
package struct AllowList: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after creation and safe to use from many threads.
    package struct Entry {
        package var paths: [String] = []
        package var rules: [String] = []
        package var lines: [NSRegularExpression] = []
        package var reason: String
        /// Where the entry starts in the config, for messages.
        package var source: String
    }

    package var entries: [Entry]
    /// The folder the config sits in, as the scan names paths (`.`, `repo`, `/abs/repo`):
    /// globs match paths relative to it.
    package var root: String

    package init(entries: [Entry], root: String) {
        self.entries = entries
        self.root = root
    }

    /// The reason of the first entry that allows this finding, or nil.
    package func reason(ruleId: String, path: String, line: String) -> String? {
        let relative = relativePath(path)
        for e in entries {
            if !e.paths.isEmpty && !e.paths.contains(where: { GlobPattern($0).matches(relative) || GlobPattern($0).matches(Baseline.normalize(path)) }) { continue }
            if !e.rules.isEmpty && !e.rules.contains(where: { GlobPattern($0).matches(ruleId) }) { continue }
            let range = NSRange(line.startIndex..., in: line)
            if !e.lines.isEmpty && !e.lines.contains(where: { $0.firstMatch(in: line, range: range) != nil }) { continue }
            return e.reason
        }
        return nil
    }

    func relativePath(_ path: String) -> String {
        let p = Baseline.normalize(path)
        let r = Baseline.normalize(root)
        if r.isEmpty || r == "." { return p }
        let prefix = r.hasSuffix("/") ? r : r + "/"
        return p.hasPrefix(prefix) ? String(p.dropFirst(prefix.count)) : p
    }
}
