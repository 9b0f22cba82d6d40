import Foundation

/// Prometheus text exposition (format 0.0.4) for the series computed at scrape time: each
/// family with its `# HELP` and `# TYPE`, counts written as integers.
struct Exposition {
    private(set) var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for s in samples {
            let labels = s.labels.isEmpty ? "" : "{" + s.labels.map { "\($0)=\"\(Self.escape($1))\"" }.joined(separator: ",") + "}"
            text += "\(name)\(labels) \(s.value)\n"
        }
    }

    mutating func gauge(_ name: String, _ help: String, _ value: Int, labels: [(String, String)] = []) {
        family(name, "gauge", help, [(labels, String(value))])
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
