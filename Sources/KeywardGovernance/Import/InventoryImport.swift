import Foundation

/// One secret value found in an inventory file.
package struct ImportedValue: Sendable, Equatable {
    /// Where it came from, in the file's own terms, e.g. "STRIPE_SECRET_KEY" (dotenv),
    /// "payments/stripe-keys:data.api-key" (k8s: namespace/name:section.key; namespace "default" when absent),
    /// "default:aws_secret_access_key" (aws: profile:key).
    package var name: String
    /// The plaintext value (already base64-decoded for k8s `data:`).
    package var value: String
    /// 1-based line number in the input where the value (or its key) starts.
    package var line: Int

    package init(name: String, value: String, line: Int) {
        self.name = name
        self.value = value
        self.line = line
    }

    /// The variable's own key, as its file spells it: the name itself (dotenv), the part after
    /// the profile (`prod:aws_secret_access_key`), or the data key (`ns/name:data.tls.key`).
    package var key: String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        let tail = name[name.index(after: colon)...]
        for section in ["data.", "stringData."] where tail.hasPrefix(section) { return String(tail.dropFirst(section.count)) }
        return String(tail)
    }
}

package enum InventoryFormat: String, Sendable, CaseIterable {
    case dotenv
    case k8sSecret = "k8s-secret"
    case awsCredentials = "aws-credentials"
}

/// Pure parsers that pull secret values out of the inventory files owners already have: `.env`
/// files, Kubernetes Secret manifests and AWS shared credentials/config files, one file per
/// format beside this one. No I/O.
///
/// Common rules for every format:
/// - results come in file order, and `line` is the line of the value's key;
/// - entries whose value is empty are skipped (there is nothing to fingerprint);
/// - a leading byte-order mark and CRLF line endings are accepted;
/// - errors carry a line number and, where there is one, the key name, but never any part of a
///   value or of an unparseable line (which may be a secret pasted on its own).
package enum InventoryImport {
    /// Parses `text`. Throws `InventoryImportError` on malformed input. Error messages name the
    /// line number and the key name but NEVER include a value (values are secrets).
    package static func parse(_ text: String, format: InventoryFormat) throws -> [ImportedValue] {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        switch format {
        case .dotenv:
            return try Dotenv.parse(lines(of: text))
        case .awsCredentials:
            return try AWSCredentials.parse(lines(of: text))
        case .k8sSecret:
            return try K8sSecret.parse(text)
        }
    }

    /// Splits on LF and CRLF (Swift treats "\r\n" as one `Character`, so both must be named).
    static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// Space or tab: the only whitespace these formats allow inside a line.
    static func isBlank(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }

    static func trimmed<C: BidirectionalCollection>(_ text: C) -> C.SubSequence where C.Element == Character {
        guard let first = text.firstIndex(where: { !isBlank($0) }) else { return text[text.endIndex...] }
        let last = text.lastIndex(where: { !isBlank($0) })!
        return text[first...last]
    }

    /// Cuts a comment off the end of a line: a marker that follows a space or tab (`KEY=a#b`
    /// keeps its `#`).
    static func stripComment<C: Collection>(_ text: C, markers: [Character] = ["#"]) -> C.SubSequence where C.Element == Character {
        var previous: Character?
        for index in text.indices {
            if markers.contains(text[index]), let previous, isBlank(previous) { return text[..<index] }
            previous = text[index]
        }
        return text[...]
    }

    /// Whether only blanks, then nothing or a comment, follow (after a closing quote or a marker).
    static func onlyBlanksOrComment(_ text: some Collection<Character>) -> Bool {
        let rest = text.drop(while: isBlank)
        return rest.isEmpty || rest.first == "#"
    }
}

package struct InventoryImportError: Error, Equatable, CustomStringConvertible {
    package var line: Int
    /// 1-based, in Unicode scalars; YAML errors have one, the line-based formats and JSON do not.
    package var column: Int?
    package var message: String
    package var description: String {
        guard let column else { return "line \(line): \(message)" }
        return "line \(line), column \(column): \(message)"
    }

    package init(line: Int, column: Int? = nil, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}

