import Foundation

// MARK: - AWS shared credentials / config

extension InventoryImport {
    /// `~/.aws/credentials` and `~/.aws/config`. Every `key = value` with a value is returned
    /// (region, output and nested `s3 =` settings too): `CredentialHeuristics` decides which are
    /// credentials, so the skipped ones are listed with their reason.
    /// Unlike botocore, a `#` or `;` after whitespace starts an inline comment: AWS key material
    /// never contains whitespace, so this only ever removes a trailing note.
    enum AWSCredentials {
        static func parse(_ lines: [Substring]) throws -> [ImportedValue] {
            var results: [ImportedValue] = []
            var profile: String?
            for (index, rawLine) in lines.enumerated() {
                let lineNumber = index + 1
                let line = trimmed(rawLine)
                if line.isEmpty || line.first == "#" || line.first == ";" { continue }
                if line.first == "[" {
                    profile = try sectionName(line, line: lineNumber)
                    continue
                }
                guard let equals = line.firstIndex(of: "=") else {
                    throw InventoryImportError(line: lineNumber, message: "expected 'key = value', a [section] header or a comment")
                }
                let key = String(trimmed(line[..<equals]))
                guard !key.isEmpty else {
                    throw InventoryImportError(line: lineNumber, message: "missing key name before '='")
                }
                guard let profile else {
                    throw InventoryImportError(line: lineNumber, message: "key '\(key)' appears before any [section] header")
                }
                let canonical = key.lowercased()
                let value = String(trimmed(stripComment(line[line.index(after: equals)...], markers: ["#", ";"])))
                if !value.isEmpty {
                    results.append(ImportedValue(name: "\(profile):\(canonical)", value: value, line: lineNumber))
                }
            }
            return results
        }

        /// `[name]` → name; `[profile name]` (the config-file spelling) → name.
        static func sectionName(_ line: Substring, line lineNumber: Int) throws -> String {
            guard line.count >= 2, line.last == "]" else {
                throw InventoryImportError(line: lineNumber, message: "malformed section header (expected [name] or [profile name])")
            }
            var name = trimmed(line.dropFirst().dropLast())
            if name.hasPrefix("profile"), let next = name.dropFirst(7).first, isBlank(next) {
                name = trimmed(name.dropFirst(7))
            }
            guard !name.isEmpty else {
                throw InventoryImportError(line: lineNumber, message: "empty section name")
            }
            return String(name)
        }

    }
}

