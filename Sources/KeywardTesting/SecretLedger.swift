import Foundation
import Synchronization

/// Every plaintext a test suite was handed, so it can prove none reached anywhere else.
package final class SecretLedger: Sendable {
    private let secrets = Mutex<[String]>([])
    package init() {}

    package func record(_ s: String) { secrets.withLock { $0.append(s) } }
    package var all: [String] { secrets.withLock { $0 } }

    /// The plaintexts found in `haystack` (empty means no leak).
    package func leaks(in haystack: String) -> [String] {
        all.filter { haystack.contains($0) }
    }

    /// The plaintexts found in the raw bytes of `path` (a database, WAL or log file).
    package func leaks(inFile path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return all.filter { data.range(of: Data($0.utf8)) != nil }
    }
}
