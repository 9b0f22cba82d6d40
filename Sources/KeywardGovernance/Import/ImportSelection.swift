/// `keyward import --only NAME… --skip NAME…`: exact names that override the classifier.
/// `--skip` skips a name; `--only` imports exactly the names it lists (forcing in one the
/// classifier would skip) and skips every other. Pure.
package struct ImportSelection: Sendable, Equatable {
    package var only: [String]
    package var skip: [String]

    package init(only: [String] = [], skip: [String] = []) {
        self.only = only
        self.skip = skip
    }

    /// Names the user wrote that the file does not hold, or that are both kept and skipped:
    /// one message per problem (names only, never values).
    package func problems(names: [String]) -> [String] {
        let known = Set(names)
        var out: [String] = []
        let unknown = (only + skip).filter { !known.contains($0) }
        if !unknown.isEmpty {
            out.append("no variable named \(Self.list(unknown)) in the file (names are exact and case-sensitive)")
        }
        let both = only.filter(Set(skip).contains)
        if !both.isEmpty { out.append("\(Self.list(both)) given to both --only and --skip") }
        return out
    }

    /// The decision after the user's overrides, or a problem (name and line, never the value)
    /// when `--only` forces a value that cannot be imported.
    package func apply(to value: ImportedValue, decision: ImportDecision) -> Result<ImportDecision, ImportSelectionProblem> {
        if skip.contains(value.name) { return .success(.skip("--skip")) }
        guard !only.isEmpty else { return .success(decision) }
        guard only.contains(value.name) else { return .success(.skip("not named by --only")) }
        if let problem = CredentialHeuristics.unusable(value.value) {
            return .failure(ImportSelectionProblem(message: "\(value.name) (line \(value.line)): \(problem); --only cannot import it"))
        }
        return .success(decision.isCredential ? decision : .credential("--only (the classifier said: \(decision.reason))"))
    }

    static func list(_ names: [String]) -> String {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }.joined(separator: ", ")
    }
}

package struct ImportSelectionProblem: Error, Equatable {
    package var message: String
}
