/// `keyward serve` warns about a variable that is no setting but looks like one, so a typo in a
/// unit's environment file does not silently leave a default in force. Other `KEYWARD_*`
/// variables (the scripts' `KEYWARD_PREFIX`, the tests' `KEYWARD_BIN`) are ignored.
extension Settings {
    /// Variables named like a setting but not one — a letter or two off, another letter case,
    /// or a setting's name cut short or run on (`KEYWARD_IDLE_TIMEOUT`) — each with the
    /// setting it resembles. Names only: a value may be a secret.
    package static func misspelledVariables(in environment: [String: String] = processEnvironment) -> [(name: String, setting: String)] {
        let known = Set(Setting.allCases.map(\.variable))
        return environment.keys.sorted().compactMap { name in
            let upper = name.uppercased()
            guard upper.hasPrefix("KEYWARD_"), !known.contains(name) else { return nil }
            let near = Setting.allCases.map(\.variable).first { v in
                upper == v || editDistance(upper, v, limit: 2) <= 2 || upper.hasPrefix(v + "_") || v.hasPrefix(upper + "_")
            }
            return near.map { (name, $0) }
        }
    }

    /// Levenshtein distance, or `limit + 1` once it is certain to exceed `limit`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard abs(a.count - b.count) <= limit else { return limit + 1 }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            guard let best = current.min(), best <= limit else { return limit + 1 }
            previous = current
        }
        return previous[b.count]
    }
}
