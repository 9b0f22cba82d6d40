/// gitignore-style glob: `*` and `?` stay within a path segment, `**` spans segments,
/// `[...]` classes (with `!`/`^` negation). Written here: no package in the allowed set
/// matches gitignore globs, and fnmatch(3) has no `**`.
struct GlobPattern: Sendable {
    let pattern: [UInt8]

    init(_ s: String) { pattern = Array(s.utf8) }

    func matches(_ path: String) -> Bool { Self.match(pattern[...], Array(path.utf8)[...]) }

    private static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        var p = p, s = s
        while let c = p.first {
            switch c {
            case UInt8(ascii: "*"):
                if p.dropFirst().first == UInt8(ascii: "*") {
                    // `**`: any run of characters, slashes included; `**/` may also match nothing.
                    var rest = p.dropFirst(2)
                    if rest.first == UInt8(ascii: "/") {
                        rest = rest.dropFirst()
                        if match(rest, s) { return true }
                    }
                    var t = s
                    while true {
                        if match(rest, t) { return true }
                        guard !t.isEmpty else { return false }
                        t = t.dropFirst()
                    }
                }
                let rest = p.dropFirst()
                var t = s
                while true {
                    if match(rest, t) { return true }
                    guard let f = t.first, f != UInt8(ascii: "/") else { return false }
                    t = t.dropFirst()
                }
            case UInt8(ascii: "?"):
                guard let f = s.first, f != UInt8(ascii: "/") else { return false }
                p = p.dropFirst(); s = s.dropFirst()
            case UInt8(ascii: "["):
                guard let f = s.first, let close = p.dropFirst(2).firstIndex(of: UInt8(ascii: "]")) else { return false }
                var body = p[(p.startIndex + 1)..<close]
                let negate = body.first == UInt8(ascii: "!") || body.first == UInt8(ascii: "^")
                if negate { body = body.dropFirst() }
                var hit = false
                var i = body.startIndex
                while i < body.endIndex {
                    if i + 2 < body.endIndex, body[i + 1] == UInt8(ascii: "-") {
                        if body[i] <= f && f <= body[i + 2] { hit = true }
                        i += 3
                    } else {
                        if body[i] == f { hit = true }
                        i += 1
                    }
                }
                guard hit != negate, f != UInt8(ascii: "/") else { return false }
                p = p[(close + 1)...]; s = s.dropFirst()
            case UInt8(ascii: "\\"):
                guard p.count > 1, s.first == p[p.startIndex + 1] else { return false }
                p = p.dropFirst(2); s = s.dropFirst()
            default:
                guard s.first == c else { return false }
                p = p.dropFirst(); s = s.dropFirst()
            }
        }
        return s.isEmpty
    }
}

/// The rules of one .gitignore file (or `--exclude` globs), relative to `base`.
struct IgnoreRules: Sendable {
    struct Line: Sendable {
        var glob: GlobPattern
        var negated: Bool
        var directoryOnly: Bool
        var anchored: Bool
    }

    let base: String
    var lines: [Line] = []

    init(base: String, text: String) {
        self.base = base
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var l = String(raw)
            while l.hasSuffix(" ") && !l.hasSuffix("\\ ") { l.removeLast() }
            if l.hasSuffix("\r") { l.removeLast() }
            guard !l.isEmpty, !l.hasPrefix("#") else { continue }
            var negated = false
            if l.hasPrefix("!") { negated = true; l.removeFirst() }
            var dirOnly = false
            if l.hasSuffix("/") { dirOnly = true; l.removeLast() }
            let anchored = l.dropLast().contains("/") || l.hasPrefix("/")
            if l.hasPrefix("/") { l.removeFirst() }
            guard !l.isEmpty else { continue }
            lines.append(Line(glob: GlobPattern(l), negated: negated, directoryOnly: dirOnly, anchored: anchored))
        }
    }

    /// nil: no opinion; true: ignored; false: re-included by a `!` line.
    func verdict(relativePath: String, isDirectory: Bool) -> Bool? {
        var result: Bool?
        let name = relativePath.split(separator: "/").last.map(String.init) ?? relativePath
        for l in lines where !l.directoryOnly || isDirectory {
            let hit = l.anchored ? l.glob.matches(relativePath) : (l.glob.matches(name) || l.glob.matches(relativePath))
            if hit { result = !l.negated }
        }
        return result
    }
}
